/**
 * The report intake flow: category, place, what is happening, since when, photos, contact or
 * anonymous, then a summary to confirm. Its state is plain JSON kept in the store, so a half-filed
 * report survives a restart and resumes where it stopped.
 */

import { type Category, classifyReport, findCategory } from '../../cases/categories.js';
import { type Area, kmOutside } from '../../cases/geo.js';
import type { Draft } from '../../cases/service.js';
import { descriptionSchema, firstMessage, parseCoordinates, phoneSchema, reportLimits } from '../../cases/validate.js';
import { maskPhone } from '../../core/mask.js';
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
}

/** What the flow needs to know. */
export interface ReportContext {
  categories: Category[];
  towns: string[];
  area: Area;
}

/** What a step returns: the new state (null = finished or cancelled) and the replies. */
export interface StepResult {
  state: ReportState | null;
  replies: Reply[];
  /** Set when the user confirmed: the draft to file. */
  submit?: Draft;
}

const SKIP = /^(跳过|没有|无|不知道|不清楚|skip)$/i;
const DONE = /^(完成|好了|发完了|没有了|done)$/i;

/** A new, empty draft; a free-text report fills what it can (description, category, 镇街). */
export function startReport(ctx: ReportContext, text: string | null): ReportState {
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
      pending: null,
      description: null,
      since: null,
      photos: [],
      photosDone: false,
      anonymous: null,
      phone: null,
    },
    editing: false,
  };
  if (text) {
    const stripped = text.replace(/^\/?(report|举报)\s*/i, '').trim();
    if (hanLength(stripped.replace(/我?(要|想)?(举报|投诉|反映)(一下)?/g, '')) >= reportLimits.minHan) {
      const d = descriptionSchema.safeParse(stripped);
      if (d.success) state.draft.description = d.data;
      state.draft.guessed = classifyReport(stripped, ctx.categories)?.id ?? null;
      state.draft.town = ctx.towns.find((t) => stripped.includes(t) || stripped.includes(t.replace(/(镇|街道)$/, ''))) ?? null;
    }
  }
  return state;
}

function categoryName(ctx: ReportContext, id: string | null): string {
  return ctx.categories.find((c) => c.id === id)?.name ?? '未选择';
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
  switch (s.step) {
    case 'category': {
      const cats: Choice[] = ctx.categories.map((c) => ({ label: c.name, value: `cat:${c.id}` }));
      if (d.guessed) {
        return {
          text: `看起来是「${categoryName(ctx, d.guessed)}」问题，对吗？不对请选择正确的类别：`,
          choices: [
            [{ label: `✅ 是的，${categoryName(ctx, d.guessed)}`, value: `cat:${d.guessed}` }],
            ...rows(
              cats.filter((c) => c.value !== `cat:${d.guessed}`),
              3,
            ),
            [{ label: '取消', value: 'cancel' }],
          ],
        };
      }
      return { text: '请选择问题类别：', choices: [...rows(cats, 3), [{ label: '取消', value: 'cancel' }]] };
    }
    case 'location':
      return {
        text: '问题发生在哪里？可以发送定位📍，或点选所在镇街，或直接输入详细地址（如“石蟆镇××村×组”）。',
        choices: [
          ...rows(
            ctx.towns.map((t) => ({ label: t, value: `town:${t}` })),
            4,
          ),
          [{ label: '取消', value: 'cancel' }],
        ],
        requestLocation: true,
      };
    case 'location_confirm':
      return {
        text: `您发送的位置距江津区约${Math.round(kmOutside(ctx.area, d.pending ?? { lat: 0, lon: 0 }))}公里，不在本区范围内。确定是这个位置吗？`,
        choices: [
          [
            { label: '确定是这里', value: 'loc:ok' },
            { label: '重新发送', value: 'loc:retry' },
          ],
        ],
      };
    case 'description':
      return { text: '请描述现场情况（至少5个汉字）：是什么单位或什么人、在做什么、造成了什么影响。' };
    case 'since':
      return { text: '这种情况从什么时候开始的？（如“三天前”“每天晚上”“一个多月了”）', choices: [[{ label: '跳过', value: 'skip' }]] };
    case 'photos':
      return {
        text: `如有现场照片，现在可以发送（最多${reportLimits.maxPhotos}张）${d.photos.length ? `，已收到${d.photos.length}张` : ''}。发完点“完成”，没有照片点“跳过”。`,
        choices: [
          [
            { label: '完成', value: 'done' },
            { label: '跳过', value: 'skip' },
          ],
        ],
      };
    case 'contact':
      return {
        text: '是否留下联系电话，方便核实情况和告知结果？您的号码只有负责办理此件的单位工作人员能看到，不会公开；也可以匿名举报（匿名无法回访）。',
        choices: [
          [
            { label: '留下电话', value: 'contact' },
            { label: '匿名举报', value: 'anon' },
          ],
        ],
      };
    case 'phone':
      return { text: '请输入您的手机号或带区号的座机号：' };
    case 'edit':
      return {
        text: '要修改哪一项？',
        choices: [
          [
            { label: '类别', value: 'edit:category' },
            { label: '地点', value: 'edit:location' },
            { label: '情况描述', value: 'edit:description' },
          ],
          [
            { label: '开始时间', value: 'edit:since' },
            { label: '照片', value: 'edit:photos' },
            { label: '联系方式', value: 'edit:contact' },
          ],
        ],
      };
    case 'confirm':
      return {
        text: `请确认举报内容：\n${summary(s, ctx)}`,
        choices: [
          [
            { label: '确认提交', value: 'confirm' },
            { label: '修改', value: 'edit' },
            { label: '取消', value: 'cancel' },
          ],
        ],
      };
  }
}

/** The draft in words, for the confirmation. */
export function summary(s: ReportState, ctx: ReportContext): string {
  const d = s.draft;
  const where = [d.town, d.address, d.lat !== null && d.lon !== null ? `定位 ${d.lat.toFixed(5)}, ${d.lon.toFixed(5)}` : null]
    .filter(Boolean)
    .join('，');
  return [
    `类别：${categoryName(ctx, d.category)}`,
    `地点：${where || '未提供'}`,
    `情况：${d.description ?? ''}`,
    `开始时间：${d.since || '未说明'}`,
    `照片：${d.photos.length}张`,
    `联系方式：${d.anonymous ? '匿名' : d.phone ? `${maskPhone(d.phone)}（仅办理单位可见）` : '未提供'}`,
  ].join('\n');
}

function advance(s: ReportState, ctx: ReportContext, prefix: Reply[] = []): StepResult {
  s.step = nextStep(s);
  return { state: s, replies: [...prefix, prompt(s, ctx)] };
}

function again(s: ReportState, ctx: ReportContext, message: string): StepResult {
  return { state: s, replies: [{ text: message }, prompt(s, ctx)] };
}

/** Handles one message within the flow. */
export function stepReport(s: ReportState, msg: ValidInbound, ctx: ReportContext): StepResult {
  const text = (msg.text ?? '').trim();
  const choice = msg.choice ?? null;
  const d = s.draft;

  if (choice === 'cancel' || /^(取消|\/cancel|退出)$/.test(text)) {
    return { state: null, replies: [{ text: '已取消本次举报，填写的内容已删除。需要时可随时发送“举报”重新开始。' }] };
  }
  if (choice === 'edit' && s.step === 'confirm') {
    s.step = 'edit';
    return { state: s, replies: [prompt(s, ctx)] };
  }
  if (choice?.startsWith('edit:') && s.step === 'edit') {
    const field = choice.slice(5);
    s.editing = true;
    if (field === 'category') s.step = 'category';
    else if (field === 'location') {
      d.town = d.address = null;
      d.lat = d.lon = null;
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
      const id = choice?.startsWith('cat:') ? choice.slice(4) : null;
      const cat = id ? ctx.categories.find((c) => c.id === id) : text ? findCategory(text, ctx.categories) : null;
      if (!cat) return again(s, ctx, '请从下面的类别中选择一个（点按钮或输入类别名称）。');
      d.category = cat.id;
      return advance(s, ctx);
    }
    case 'location':
    case 'location_confirm': {
      if (s.step === 'location_confirm') {
        if (choice === 'loc:ok' && d.pending) {
          d.lat = d.pending.lat;
          d.lon = d.pending.lon;
          d.address ??= d.pending.label ?? null;
          d.pending = null;
          return advance(s, ctx);
        }
        d.pending = null;
        s.step = 'location';
        if (choice === 'loc:retry' || !msg.location) return { state: s, replies: [prompt(s, ctx)] };
      }
      const point = msg.location ?? (text ? parseCoordinates(text) : null);
      if (point) {
        if (!Number.isFinite(point.lat) || !Number.isFinite(point.lon) || Math.abs(point.lat) > 90 || Math.abs(point.lon) > 180) {
          return again(s, ctx, '这个位置的坐标无效，请重新发送定位，或输入镇街和地址。');
        }
        const label = msg.location?.label ?? null;
        if (kmOutside(ctx.area, point) > ctx.area.maxOutsideKm) {
          d.pending = { lat: point.lat, lon: point.lon, label };
          s.step = 'location_confirm';
          return { state: s, replies: [prompt(s, ctx)] };
        }
        d.lat = point.lat;
        d.lon = point.lon;
        if (label) d.address = label.slice(0, reportLimits.maxAddress);
        d.town ??= ctx.towns.find((t) => label?.includes(t)) ?? null;
        return advance(s, ctx);
      }
      const town = choice?.startsWith('town:')
        ? choice.slice(5)
        : ctx.towns.find((t) => text === t || text === t.replace(/(镇|街道)$/, ''));
      if (town && ctx.towns.includes(town)) {
        d.town = town;
        return advance(s, ctx);
      }
      if (hanLength(text) >= 2 && text.length <= reportLimits.maxAddress) {
        d.address = text;
        d.town = ctx.towns.find((t) => text.includes(t) || text.includes(t.replace(/(镇|街道)$/, ''))) ?? null;
        return advance(s, ctx);
      }
      if (text.length > reportLimits.maxAddress) return again(s, ctx, `地址太长了，请控制在${reportLimits.maxAddress}字以内。`);
      return again(s, ctx, '没有看懂这个地点。请发送定位、点选镇街，或输入详细地址。');
    }
    case 'description': {
      if (msg.photos?.length) {
        d.photos = [...d.photos, ...msg.photos].slice(0, reportLimits.maxPhotos);
        return again(s, ctx, `已收到照片${d.photos.length}张。请再用文字描述一下现场情况。`);
      }
      const r = descriptionSchema.safeParse(text);
      if (!r.success) return again(s, ctx, firstMessage(r.error));
      d.description = r.data;
      return advance(s, ctx);
    }
    case 'since': {
      if (choice === 'skip' || SKIP.test(text)) d.since = '';
      else if (text && text.length <= 100) d.since = text;
      else if (text) return again(s, ctx, '请简短说明开始时间（100字以内），或点“跳过”。');
      else return again(s, ctx, '请用文字说明开始时间，或点“跳过”。');
      return advance(s, ctx);
    }
    case 'photos': {
      if (msg.photos?.length) {
        const room = reportLimits.maxPhotos - d.photos.length;
        const taken = msg.photos.slice(0, Math.max(0, room));
        d.photos.push(...taken);
        const dropped = msg.photos.length - taken.length;
        const note =
          dropped > 0 ? `最多只能附${reportLimits.maxPhotos}张照片，多出的${dropped}张没有保存。` : `已收到第${d.photos.length}张照片。`;
        return { state: s, replies: [{ text: note }, prompt(s, ctx)] };
      }
      if (choice === 'done' || choice === 'skip' || DONE.test(text) || SKIP.test(text)) {
        d.photosDone = true;
        return advance(s, ctx);
      }
      return again(s, ctx, '请发送照片，或点“完成”/“跳过”。');
    }
    case 'contact': {
      if (choice === 'anon' || /匿名/.test(text)) {
        d.anonymous = true;
        d.phone = null;
        return advance(s, ctx, [{ text: '好的，本次为匿名举报，我们不会记录您的电话。' }]);
      }
      const typed = phoneSchema.safeParse(text);
      if (typed.success) {
        d.anonymous = false;
        d.phone = typed.data;
        return advance(s, ctx);
      }
      if (choice === 'contact' || /电话|留/.test(text)) {
        d.anonymous = false;
        s.step = 'phone';
        return { state: s, replies: [prompt(s, ctx)] };
      }
      return again(s, ctx, '请选择“留下电话”或“匿名举报”。');
    }
    case 'phone': {
      if (choice === 'anon' || /匿名/.test(text)) {
        d.anonymous = true;
        d.phone = null;
        return advance(s, ctx);
      }
      const r = phoneSchema.safeParse(text);
      if (!r.success) return again(s, ctx, firstMessage(r.error));
      d.phone = r.data;
      return advance(s, ctx);
    }
    case 'edit':
      return again(s, ctx, '请点选要修改的项目。');
    case 'confirm': {
      if (choice === 'confirm' || /^(确认|确认提交|提交|是|对|好)$/.test(text)) {
        const submit: Draft = {
          category: d.category as string,
          town: d.town,
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
      if (/^修改$/.test(text)) {
        s.step = 'edit';
        return { state: s, replies: [prompt(s, ctx)] };
      }
      return again(s, ctx, '请点“确认提交”，或“修改”“取消”。');
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
