/**
 * The report intake flow: category, place, what is happening, since when, photos, contact or
 * anonymous, then a summary to confirm. Its state is plain JSON kept in the store, so a half-filed
 * report survives a restart and resumes where it stopped.
 *
 * The intake forgives: at each step a non-answer ("不填了", "不知道", "算了", "跳过") is recognised
 * and never stored — a step that may be skipped is skipped, any other asks again with an example —
 * and yes/no words ("对", "是的", "没错", "好", "不是", "不对") answer every confirmation. A GPS
 * point is named by its nearest 镇街. Every text comes from the message catalog, in the language
 * the user writes.
 */

import { type Category, categoryLabel, classifyReport, findCategory } from '../../cases/categories.js';
import { type Area, kmOutside, nearestTown, type TownPoints } from '../../cases/geo.js';
import type { Draft } from '../../cases/service.js';
import { descriptionSchema, parseCoordinates, phoneSchema, reportLimits } from '../../cases/validate.js';
import { button } from '../../core/domain.js';
import { maskPhone } from '../../core/mask.js';
import { type Lang, messages } from '../../core/messages/index.js';
import { hanLength } from '../../core/text.js';
import { type Choice, type Reply, rows, type ValidInbound } from './types.js';

/** The steps of the intake, in order. */
export const STEPS = ['category', 'location', 'description', 'since', 'photos', 'contact', 'phone', 'confirm'] as const;
/** A step of the intake (plus the two side steps). */
export type Step = (typeof STEPS)[number] | 'location_confirm' | 'edit';

/** A draft under way. */
export interface ReportState {
  flow: 'report';
  step: Step;
  draft: {
    category: string | null;
    guessed: string | null;
    town: string | null;
    address: string | null;
    lat: number | null;
    lon: number | null;
    /** The 镇街 nearest the GPS point (approximate centres), when the point gave one. */
    near?: string | null;
    pending: { lat: number; lon: number; label: string | null } | null;
    description: string | null;
    since: string | null;
    photos: string[];
    /** Photos sent, or skipped. */
    photosDone: boolean;
    anonymous: boolean | null;
    phone: string | null;
  };
  /** After an edit, go back to the summary rather than on through the steps. */
  editing: boolean;
  /** The language of the dialog (Chinese when absent). */
  lang?: Lang;
}

/** What the flow needs to know. */
export interface ReportContext {
  categories: Category[];
  towns: string[];
  area: Area;
  /** The towns' approximate centres, to name a GPS point. */
  townPoints?: TownPoints;
}

/** What a step returns: the new state (null = finished or cancelled) and the replies. */
export interface StepResult {
  state: ReportState | null;
  replies: Reply[];
  /** Set when the user confirmed: the draft to file. */
  submit?: Draft;
}

const DONE = /^(完成|好了|发完了|没有了|就这些|done|finished|that'?s all)$/i;

/** Trailing particles and punctuation that do not change what a short answer means. */
const strip = (t: string) =>
  t
    .trim()
    .replace(/[。.!！?？~～,，、\s]+$/u, '')
    .replace(/(吧|呢|啊|呀|了吧)$/u, '')
    .trim();

const NON_ANSWER_EXACT =
  /^(不填了?|不填写|不写了?|不知道|不晓得|不清楚|说不清|算了|跳过|略过|不想说|不想填|不用了?|没有|无|没|不记得了?|忘了|skip|pass|none|no idea|i don'?t know|don'?t know|dunno|never ?mind|n\/?a|-)$/i;
const NON_ANSWER_START = /^(不填|不知道|不晓得|不清楚|说不清|算了|跳过|不想|不记得|忘了|i don'?t know|don'?t know|no idea|skip)/i;

/**
 * Whether a text is a non-answer ("不填了", "不知道在哪", "算了", "跳过"): an exact phrase, or a
 * short one starting with it. "不知道是谁在倒垃圾" is an answer.
 */
export function isNonAnswer(text: string): boolean {
  const t = strip(text);
  if (!t) return false;
  if (NON_ANSWER_EXACT.test(t)) return true;
  return NON_ANSWER_START.test(t) && (hanLength(t) > 0 ? t.length <= 6 : t.length <= 24);
}

const YES = /^(对|对的|对啊|是|是的|是啊|没错|没错的|好|好的|行|可以|嗯|嗯嗯|确认|确定|正确|yes|y|yeah|yep|ok|okay|correct|right|sure)$/i;
const NO = /^(不是|不对|不对的|错了|不|否|no|n|nope|wrong|not really)$/i;

/** "对", "是的", "没错", "好" … → true; "不是", "不对" … → false; anything else → null. */
export function yesNo(text: string): boolean | null {
  const t = strip(text);
  if (YES.test(t)) return true;
  if (NO.test(t)) return false;
  return null;
}

/** A new, empty draft; a free-text report fills what it can (description, category, 镇街). */
export function startReport(ctx: ReportContext, text: string | null, lang: Lang = 'zh'): ReportState {
  const state: ReportState = {
    flow: 'report',
    step: 'category',
    draft: {
      category: null,
      guessed: null,
      town: null,
      address: null,
      lat: null,
      lon: null,
      near: null,
      pending: null,
      description: null,
      since: null,
      photos: [],
      photosDone: false,
      anonymous: null,
      phone: null,
    },
    editing: false,
    lang,
  };
  if (text) {
    const stripped = text.replace(/^\/?(report|举报)\s*/i, '').trim();
    const words = stripped.replace(/我?(要|想)?(举报|投诉|反映)(一下)?/g, '').replace(/\b(i )?(want|would like) to report\b/gi, '');
    if (hanLength(words) >= reportLimits.minHan || (lang === 'en' && words.trim().split(/\s+/).length >= 4)) {
      const d = descriptionSchema.safeParse(stripped);
      if (d.success) state.draft.description = d.data;
      else if (lang === 'en' && stripped.length <= reportLimits.maxChars) state.draft.description = stripped;
      state.draft.guessed = classifyReport(stripped, ctx.categories)?.id ?? null;
      state.draft.town = ctx.towns.find((t) => stripped.includes(t) || stripped.includes(t.replace(/(镇|街道)$/, ''))) ?? null;
    }
  }
  return state;
}

/** Puts a GPS point into the draft: its coordinates and the nearest 镇街's name. */
export function placePoint(s: ReportState, ctx: ReportContext, p: { lat: number; lon: number }, label: string | null): void {
  const d = s.draft;
  d.lat = p.lat;
  d.lon = p.lon;
  if (label) d.address = label.slice(0, reportLimits.maxAddress);
  d.town ??= ctx.towns.find((t) => label?.includes(t)) ?? null;
  d.near = kmOutside(ctx.area, p) > 0 ? null : nearestTown(ctx.townPoints, p);
}

function categoryName(s: ReportState, ctx: ReportContext, id: string | null): string {
  return (
    categoryLabel(
      ctx.categories.find((c) => c.id === id),
      s.lang ?? 'zh',
    ) ?? messages(s.lang).intake.noCategory
  );
}

function nextStep(s: ReportState): Step {
  if (s.editing) return 'confirm';
  const d = s.draft;
  if (!d.category) return 'category';
  if (!d.town && !d.address && d.lat === null) return 'location';
  if (!d.description) return 'description';
  if (d.since === null) return 'since';
  if (!d.photosDone) return 'photos';
  if (d.anonymous === null) return 'contact';
  if (!d.anonymous && !d.phone) return 'phone';
  return 'confirm';
}

/** The prompt of a step. */
export function prompt(s: ReportState, ctx: ReportContext): Reply {
  const d = s.draft;
  const t = messages(s.lang).intake;
  const cancel = button(t.cancel, 'cancel');
  switch (s.step) {
    case 'category': {
      const cats: Choice[] = ctx.categories.map((c) => button(categoryName(s, ctx, c.id), `cat:${c.id}`));
      if (d.guessed) {
        return {
          text: t.categoryGuess(categoryName(s, ctx, d.guessed)),
          choices: [
            [button(t.categoryYes(categoryName(s, ctx, d.guessed)), `cat:${d.guessed}`)],
            ...rows(
              cats.filter((c) => c.value !== `cat:${d.guessed}`),
              3,
            ),
            [cancel],
          ],
        };
      }
      return { text: t.categoryPick, choices: [...rows(cats, 3), [cancel]] };
    }
    case 'location':
      return {
        text: t.location,
        choices: [
          ...rows(
            ctx.towns.map((town) => button(town, `town:${town}`)),
            4,
          ),
          [cancel],
        ],
        requestLocation: true,
      };
    case 'location_confirm':
      return {
        text: t.locationFar(Math.round(kmOutside(ctx.area, d.pending ?? { lat: 0, lon: 0 }))),
        choices: [[button(t.locationOk, 'loc:ok'), button(t.locationRetry, 'loc:retry')]],
      };
    case 'description':
      return { text: t.description };
    case 'since':
      return { text: t.since, choices: [[button(t.skip, 'skip')]] };
    case 'photos':
      return {
        text: t.photos(reportLimits.maxPhotos, d.photos.length),
        choices: [[button(t.done, 'done'), button(t.skip, 'skip')]],
      };
    case 'contact':
      return {
        text: t.contact,
        choices: [[button(t.contactLeave, 'contact'), button(t.contactAnon, 'anon')]],
      };
    case 'phone':
      return { text: t.phone, choices: [[button(t.contactAnon, 'anon')]] };
    case 'edit':
      return {
        text: t.editWhich,
        choices: [
          [
            button(t.edit.category, 'edit:category'),
            button(t.edit.location, 'edit:location'),
            button(t.edit.description, 'edit:description'),
          ],
          [button(t.edit.since, 'edit:since'), button(t.edit.photos, 'edit:photos'), button(t.edit.contact, 'edit:contact')],
        ],
      };
    case 'confirm':
      return {
        text: t.confirm(summary(s, ctx)),
        choices: [[button(t.confirmSubmit, 'confirm'), button(t.confirmEdit, 'edit'), cancel]],
      };
  }
}

/** Where a draft's GPS point is, in words: "定位：先锋镇附近", or the coordinates when no town is near. */
export function pointText(lang: Lang | undefined, lat: number, lon: number, near: string | null | undefined): string {
  const t = messages(lang).intake;
  return near ? t.locationNear(near) : `${t.locationPoint} ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}

/** The draft in words, for the confirmation. */
export function summary(s: ReportState, ctx: ReportContext): string {
  const d = s.draft;
  const t = messages(s.lang).intake.summary;
  const where = [d.town, d.address, d.lat !== null && d.lon !== null ? pointText(s.lang, d.lat, d.lon, d.near) : null]
    .filter(Boolean)
    .join(s.lang === 'en' ? '; ' : '，');
  const sep = s.lang === 'en' ? ': ' : '：';
  return [
    `${t.category}${sep}${categoryName(s, ctx, d.category)}`,
    `${t.place}${sep}${where || t.none}`,
    `${t.situation}${sep}${d.description ?? ''}`,
    `${t.since}${sep}${d.since || t.unsaid}`,
    `${t.photos}${sep}${t.photoCount(d.photos.length)}`,
    `${t.contact}${sep}${d.anonymous ? t.anonymous : d.phone ? `${maskPhone(d.phone)}${t.phoneNote}` : t.none}`,
  ].join('\n');
}

function advance(s: ReportState, ctx: ReportContext, prefix: Reply[] = []): StepResult {
  s.step = nextStep(s);
  return { state: s, replies: [...prefix, prompt(s, ctx)] };
}

function again(s: ReportState, ctx: ReportContext, message: string): StepResult {
  return { state: s, replies: [{ text: message }, prompt(s, ctx)] };
}

function goAnonymous(s: ReportState, ctx: ReportContext, message: string): StepResult {
  s.draft.anonymous = true;
  s.draft.phone = null;
  return advance(s, ctx, [{ text: message }]);
}

/** The first problem of a description or phone, in the dialog's language. */
function fieldMessage(lang: Lang | undefined, field: 'description' | 'phone', text: string): string {
  const v = messages(lang).validation;
  if (field === 'phone') return v.phone;
  return text.trim().length > reportLimits.maxChars ? v.descriptionLong(reportLimits.maxChars) : v.descriptionShort(reportLimits.minHan);
}

/** Reads a description: Chinese needs five Han characters; an English one, five words. */
function readDescription(lang: Lang | undefined, text: string): string | null {
  const r = descriptionSchema.safeParse(text);
  if (r.success) return r.data;
  const t = text.trim();
  if (lang === 'en' && t.length <= reportLimits.maxChars && t.split(/\s+/).filter((w) => /[a-z]{2,}/i.test(w)).length >= 5) return t;
  return null;
}

/** Handles one message within the flow. */
export function stepReport(s: ReportState, msg: ValidInbound, ctx: ReportContext): StepResult {
  const text = (msg.text ?? '').trim();
  const choice = msg.choice ?? null;
  const d = s.draft;
  const m = messages(s.lang);
  const t = m.intake;
  const nonAnswer = !choice && isNonAnswer(text);
  const yn = choice ? null : yesNo(text);

  if (choice === 'cancel' || /^(取消|\/cancel|退出|cancel|quit)$/i.test(text)) {
    return { state: null, replies: [{ text: m.reportCancelledLong }] };
  }
  if (s.step === 'confirm' && (choice === 'edit' || yn === false)) {
    s.step = 'edit';
    return { state: s, replies: [prompt(s, ctx)] };
  }
  if (s.step === 'edit' && nonAnswer) {
    s.step = 'confirm';
    return { state: s, replies: [prompt(s, ctx)] };
  }
  if (choice?.startsWith('edit:') && s.step === 'edit') {
    const field = choice.slice(5);
    s.editing = true;
    if (field === 'category') s.step = 'category';
    else if (field === 'location') {
      d.town = d.address = null;
      d.lat = d.lon = null;
      d.near = null;
      s.step = 'location';
    } else if (field === 'description') s.step = 'description';
    else if (field === 'since') s.step = 'since';
    else if (field === 'photos') {
      d.photos = [];
      d.photosDone = false;
      s.step = 'photos';
    } else if (field === 'contact') {
      d.anonymous = null;
      d.phone = null;
      s.step = 'contact';
    }
    return { state: s, replies: [prompt(s, ctx)] };
  }

  switch (s.step) {
    case 'category': {
      if (d.guessed && yn === true) {
        d.category = d.guessed;
        return advance(s, ctx);
      }
      if (yn === false) {
        d.guessed = null;
        return { state: s, replies: [prompt(s, ctx)] };
      }
      if (nonAnswer) return again(s, ctx, t.categoryRequired);
      const id = choice?.startsWith('cat:') ? choice.slice(4) : null;
      const cat = id ? ctx.categories.find((c) => c.id === id) : text ? findCategory(text, ctx.categories) : null;
      if (!cat) return again(s, ctx, t.categoryAgain);
      d.category = cat.id;
      return advance(s, ctx);
    }
    case 'location':
    case 'location_confirm': {
      if (s.step === 'location_confirm') {
        if ((choice === 'loc:ok' || yn === true) && d.pending) {
          d.lat = d.pending.lat;
          d.lon = d.pending.lon;
          d.address ??= d.pending.label ?? null;
          d.near = null;
          d.pending = null;
          return advance(s, ctx);
        }
        d.pending = null;
        s.step = 'location';
        if (choice === 'loc:retry' || !msg.location) return { state: s, replies: [prompt(s, ctx)] };
      }
      if (nonAnswer) return again(s, ctx, t.locationRequired);
      const point = msg.location ?? (text ? parseCoordinates(text) : null);
      if (point) {
        if (!Number.isFinite(point.lat) || !Number.isFinite(point.lon) || Math.abs(point.lat) > 90 || Math.abs(point.lon) > 180) {
          return again(s, ctx, t.locationInvalid);
        }
        const label = msg.location?.label ?? null;
        if (kmOutside(ctx.area, point) > ctx.area.maxOutsideKm) {
          d.pending = { lat: point.lat, lon: point.lon, label };
          s.step = 'location_confirm';
          return { state: s, replies: [prompt(s, ctx)] };
        }
        placePoint(s, ctx, point, label);
        return advance(s, ctx);
      }
      const town = choice?.startsWith('town:')
        ? choice.slice(5)
        : ctx.towns.find((x) => text === x || text === x.replace(/(镇|街道)$/, ''));
      if (town && ctx.towns.includes(town)) {
        d.town = town;
        return advance(s, ctx);
      }
      const placeLike = hanLength(text) >= 2 || (s.lang === 'en' && /[a-z]{3,}/i.test(text) && yn === null);
      if (placeLike && text.length <= reportLimits.maxAddress) {
        d.address = text;
        d.town = ctx.towns.find((x) => text.includes(x) || text.includes(x.replace(/(镇|街道)$/, ''))) ?? null;
        return advance(s, ctx);
      }
      if (text.length > reportLimits.maxAddress) return again(s, ctx, t.locationTooLong(reportLimits.maxAddress));
      return again(s, ctx, t.locationUnclear);
    }
    case 'description': {
      if (msg.photos?.length) {
        d.photos = [...d.photos, ...msg.photos].slice(0, reportLimits.maxPhotos);
        return again(s, ctx, t.photosThenDescribe(d.photos.length));
      }
      if (nonAnswer || yn !== null) return again(s, ctx, t.descriptionRequired);
      const desc = readDescription(s.lang, text);
      if (!desc) return again(s, ctx, fieldMessage(s.lang, 'description', text));
      d.description = desc;
      return advance(s, ctx);
    }
    case 'since': {
      if (choice === 'skip' || nonAnswer) d.since = '';
      else if (text && text.length <= 100) d.since = text;
      else if (text) return again(s, ctx, t.sinceTooLong);
      else return again(s, ctx, t.sinceText);
      return advance(s, ctx);
    }
    case 'photos': {
      if (msg.photos?.length) {
        const room = reportLimits.maxPhotos - d.photos.length;
        const taken = msg.photos.slice(0, Math.max(0, room));
        d.photos.push(...taken);
        const dropped = msg.photos.length - taken.length;
        const note = dropped > 0 ? t.photosDropped(reportLimits.maxPhotos, dropped) : t.photoReceived(d.photos.length);
        return { state: s, replies: [{ text: note }, prompt(s, ctx)] };
      }
      if (choice === 'done' || choice === 'skip' || DONE.test(strip(text)) || nonAnswer || yn === false) {
        d.photosDone = true;
        return advance(s, ctx);
      }
      return again(s, ctx, t.photosAgain);
    }
    case 'contact': {
      if (choice === 'anon' || /匿名|anonym/i.test(text) || nonAnswer || yn === false) return goAnonymous(s, ctx, t.anonymousOk);
      const typed = phoneSchema.safeParse(text);
      if (typed.success) {
        d.anonymous = false;
        d.phone = typed.data;
        return advance(s, ctx);
      }
      if (choice === 'contact' || yn === true || /电话|留|phone|number/i.test(text)) {
        d.anonymous = false;
        s.step = 'phone';
        return { state: s, replies: [prompt(s, ctx)] };
      }
      return again(s, ctx, t.contactAgain);
    }
    case 'phone': {
      if (choice === 'anon' || /匿名|anonym/i.test(text)) return goAnonymous(s, ctx, t.anonymousOk);
      if (nonAnswer || yn === false) return goAnonymous(s, ctx, t.phoneSkipped);
      const r = phoneSchema.safeParse(text);
      if (!r.success) return again(s, ctx, fieldMessage(s.lang, 'phone', text));
      d.phone = r.data;
      return advance(s, ctx);
    }
    case 'edit':
      return again(s, ctx, t.editAgain);
    case 'confirm': {
      if (choice === 'confirm' || yn === true || /^(确认提交|提交|submit|send)$/i.test(strip(text))) {
        const submit: Draft = {
          category: d.category as string,
          town: d.town ?? d.near ?? null,
          address: d.address,
          lat: d.lat,
          lon: d.lon,
          description: d.description as string,
          since: d.since || null,
          anonymous: d.anonymous === true,
          phone: d.anonymous ? null : d.phone,
          photos: d.photos,
        };
        return { state: s, replies: [], submit };
      }
      if (/^(修改|change|edit)$/i.test(strip(text))) {
        s.step = 'edit';
        return { state: s, replies: [prompt(s, ctx)] };
      }
      return again(s, ctx, t.confirmAgain);
    }
  }
}

/** Whether a text typed mid-flow is better read as a question to answer than as the step's input. */
export function looksLikeQuestion(text: string, step: Step): boolean {
  if (!text) return false;
  const q = /[?？]$/.test(text) || /^(请问|问一下|为什么|是不是|能不能|what|how|who|when|why)/i.test(text);
  if (step === 'description' || step === 'phone' || step === 'since') return q && !/我家|我们|附近|旁边/.test(text);
  return q;
}
