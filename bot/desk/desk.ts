/**
 * The officials' desk under /desk/: server-rendered pages on the one HTTP server, for officials and
 * administrators signed in with a one-time code (the sessions of bot/sessions.ts: HttpOnly,
 * SameSite=Strict cookie, fixed expiry, revocable). Every form carries the session's CSRF token and
 * a POST from another origin is refused. Views and actions are scoped to the official's unit as in
 * chat, and every case action goes through the case service (so it is in the case history).
 *
 * Pages: overview with charts (cases per 镇街 and status, indicators, milestones timeline), cases
 * (filters, counts, CSV), a case (history, duplicates, linked task, photos, actions), the
 * unanswered-questions queue (curated answer, out of scope, dismiss, CSV) and document import
 * (upload → preview → confirm; administrators only).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Category } from '../../cases/categories.js';
import { type Action, isOverdue, STATUS } from '../../cases/lifecycle.js';
import { type Actor, type CaseService, phoneFor } from '../../cases/service.js';
import { type Clock, shanghaiDate, shanghaiDateTime } from '../../core/clock.js';
import { maskPhonesIn } from '../../core/mask.js';
import type { Ledger } from '../../jobs/ledger.js';
import { commitImport, ImportError, type PreparedImport, prepareImport } from '../../knowledge/import/import.js';
import type { Knowledge } from '../../knowledge/mod.js';
import type { CasePort, CaseRecord, LimitPort, MilestoneRow, QuestionPort } from '../../store/ports.js';
import type { WebRequest } from '../channels/web/web.js';
import { type CuratedAnswerer, questionKey } from '../curated.js';
import type { RouteResponse as WebResponse } from '../http.js';
import { cookieValue, SESSION_COOKIE, type Sessions, type WebSession } from '../sessions.js';
import { barChart, indicatorChart, type TimelinePoint, timelineChart } from './charts.js';
import { esc, type Lang, t } from './text.js';

/** What the desk needs. */
export interface DeskDeps {
  sessions: Sessions;
  service: CaseService;
  cases: CasePort;
  categories: Category[];
  towns: string[];
  questions: QuestionPort;
  answerer: CuratedAnswerer;
  ledger: Ledger;
  limits: LimitPort;
  /** The knowledge module in use (it changes after an import). */
  knowledge: () => Knowledge;
  /** Where web photos are stored. */
  uploadDir: string;
  /**
   * Case photos kept here (web uploads, downloaded photos) or fetched server-side from their chat
   * platform and cached (Telegram); without it only web uploads are shown.
   */
  photos?: {
    /** Whether the desk can show this photo of the case (kept here, or its platform can be asked). */
    shown(c: CaseRecord, ref: string): Promise<boolean>;
    get(c: CaseRecord, ref: string): Promise<{ bytes: Buffer; mime: string } | null>;
  };
  /** The corpus in use and where an import writes. */
  corpusDir: () => string;
  importDir: string;
  /** Rebuilds and swaps in the knowledge module after an import. */
  reload: (now: Date) => Promise<unknown>;
  /** The time of each request or update (the composition root passes the system clock). */
  clock: Clock;
  log?: (line: string) => void;
}

/** Form fields and files of a POST. */
type Form = { get(name: string): string; file(name: string): { name: string; bytes: Buffer } | null };

/** Upload limit of the import form (the server reads at most this much). */
export const DESK_IMPORT_BYTES = 10 * 1024 * 1024 + 64 * 1024;

const HTML_HEADERS = (nonce: string) => ({
  'content-security-policy': `default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
});

const ACTIONS: Action[] = ['accept', 'refuse', 'dispatch', 'progress', 'close', 'recategorize', 'duplicate'];
const PENDING_MS = 30 * 60_000;

/** A path segment decoded; a malformed escape is kept as it is (and then finds no case). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Creates the desk. */
export function createDesk(d: DeskDeps) {
  const clock = d.clock;
  const log = d.log ?? (() => {});
  const pending = new Map<string, { owner: string; at: number; p: PreparedImport }>();

  const langOf = (req: WebRequest): Lang => (cookieValue(req.cookie, 'desk_lang') === 'en' ? 'en' : 'zh');

  function page(req: WebRequest, title: string, body: string, s: WebSession | null, status = 200, script = ''): WebResponse {
    const lang = langOf(req);
    const nonce = randomBytes(12).toString('base64');
    const who = s
      ? `<span class="who">${t(lang, 'signedInAs')}：${esc(s.unit ?? '')}${s.role === 'admin' ? t(lang, 'admin') : t(lang, 'official')}</span>
         <form method="post" action="/desk/logout" class="inline"><input type="hidden" name="csrf" value="${esc(s.csrf)}"><button>${t(lang, 'signOut')}</button></form>`
      : '';
    const nav = s
      ? `<nav><a href="/desk/">${t(lang, 'overview')}</a><a href="/desk/cases">${t(lang, 'cases')}</a><a href="/desk/questions">${t(lang, 'questions')}</a>${s.role === 'admin' ? `<a href="/desk/import">${t(lang, 'import')}</a>` : ''}<a href="/desk/lang?to=${lang === 'en' ? 'zh' : 'en'}">${t(lang, 'language')}</a>${who}</nav>`
      : `<nav><a href="/desk/lang?to=${lang === 'en' ? 'zh' : 'en'}">${t(lang, 'language')}</a></nav>`;
    const html = `<!doctype html><html lang="${lang === 'en' ? 'en' : 'zh-CN'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${t(lang, 'title')}</title><style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f4e79;color:#fff;padding:8px 16px}header h1{font-size:18px;margin:0}
nav{display:flex;gap:14px;align-items:center;flex-wrap:wrap;padding:8px 16px;background:#fff;border-bottom:1px solid #ddd}
nav .who{margin-left:auto;color:#555}main{padding:16px;max-width:1100px}
table{border-collapse:collapse;background:#fff;width:100%}td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;font-size:14px}
section{background:#fff;border:1px solid #ddd;padding:12px;margin-bottom:16px}.inline{display:inline}
.counts span{display:inline-block;margin-right:12px}.msg{padding:8px;background:#e8f4ea;border:1px solid #9c9}.err{padding:8px;background:#fdecea;border:1px solid #e99}
form.act{margin:6px 0;padding:6px;border:1px dashed #ccc}textarea{width:100%;min-height:60px}img.photo{max-width:320px;margin:4px;border:1px solid #ccc}
.overdue{color:#c0392b;font-weight:bold}</style></head>
<body><header><h1>${t(lang, 'title')}</h1></header>${nav}<main>${body}</main>${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`;
    return { status, type: 'text/html; charset=utf-8', body: html, headers: HTML_HEADERS(nonce) };
  }

  const redirect = (to: string, headers: Record<string, string> = {}): WebResponse => ({
    status: 303,
    type: 'text/plain; charset=utf-8',
    body: '',
    headers: { location: to, ...headers },
  });

  async function sessionOf(req: WebRequest, now: Date): Promise<WebSession | null> {
    const s = await d.sessions.verify(cookieValue(req.cookie, SESSION_COOKIE), now);
    return s?.signedIn && (s.role === 'official' || s.role === 'admin') ? s : null;
  }

  const actorOf = (s: WebSession): Actor => ({ channel: 'desk', userId: s.userId, role: s.role, unit: s.unit });

  /**
   * A POST from this site. Browsers say where a request comes from in Sec-Fetch-Site; without it,
   * an Origin of another host is refused. (With Referrer-Policy no-referrer a form's Origin is
   * "null", so the fetch metadata decides; the CSRF token is checked in any case.)
   */
  function sameOrigin(req: WebRequest): boolean {
    const site = req.header?.('sec-fetch-site');
    if (site) return site === 'same-origin' || site === 'none';
    const origin = req.header?.('origin') ?? null;
    const host = req.header?.('host') ?? null;
    if (!origin || !host) return true;
    if (origin === 'null') return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  async function formOf(req: WebRequest): Promise<Form | null> {
    try {
      const fd = await new Request('http://desk.local/', {
        method: 'POST',
        headers: { 'content-type': req.contentType || 'application/x-www-form-urlencoded' },
        body: req.body,
      }).formData();
      const files = new Map<string, { name: string; bytes: Buffer }>();
      for (const [k, v] of fd.entries()) {
        if (typeof v !== 'string') files.set(k, { name: v.name, bytes: Buffer.from(await v.arrayBuffer()) });
      }
      return {
        get: (n) => {
          const v = fd.get(n);
          return typeof v === 'string' ? v.slice(0, 10_000) : '';
        },
        file: (n) => files.get(n) ?? null,
      };
    } catch {
      return null;
    }
  }

  const visibleCases = (s: WebSession): Promise<CaseRecord[]> => d.cases.list(s.role === 'admin' ? {} : { unit: s.unit ?? '\u0000' });

  /** The state of a milestone on the timeline. */
  async function timelineState(m: MilestoneRow, today: string): Promise<TimelinePoint['state']> {
    if (m.status === 'done') return 'done';
    if (m.dueDate >= today) return 'due';
    if (m.outcome === 'missed') return 'overdue';
    const reported = (await d.ledger.store.updates(m.id)).some((u) => u.date >= m.dueDate);
    return reported ? 'overdue' : 'unreported';
  }

  async function milestonesOf(s: WebSession): Promise<MilestoneRow[]> {
    const all = (await d.ledger.milestones.list()).filter((m) => m.status !== 'cancelled');
    if (s.role === 'admin') return all;
    const handlers = await d.ledger.resolver();
    return all.filter((m) => handlers(m).some((h) => h.unit === (s.unit ?? '')));
  }

  async function overview(req: WebRequest, s: WebSession, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const cases = await visibleCases(s);
    const count = (key: (c: CaseRecord) => string) => {
      const m = new Map<string, number>();
      for (const c of cases) m.set(key(c), (m.get(key(c)) ?? 0) + 1);
      return [...m.entries()].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value);
    };
    const byTown = count((c) => c.town ?? '未填镇街');
    const byStatus = count((c) => c.status);
    const kb = d.knowledge().kb;
    const indicators = kb.indicators
      .filter((i) => i.current?.year === 2020 || i.targets[2025] !== undefined)
      .map((i) => ({
        label: `${i.table}·${i.name.replace(/[（(]%[）)]$/, '')}${/[（(]%[）)]$/.test(i.name) ? '（%）' : ''}`,
        current: i.current?.year === 2020 ? i.current.value : null,
        target: i.targets[2025] ?? null,
      }));
    const today = shanghaiDate(now);
    const points = [];
    for (const m of await milestonesOf(s))
      points.push({ id: m.id, title: m.title, dueDate: m.dueDate, state: await timelineState(m, today) });
    const overdueN = cases.filter((c) => isOverdue(c, now)).length;
    const q = await d.questions.counts();
    const body = `
<section><h2>${t(lang, 'overview')}</h2><p class="counts"><span>${t(lang, 'cases')}：<b id="n-cases">${cases.length}</b></span>
<span class="overdue">${t(lang, 'overdue')}：<b id="n-overdue">${overdueN}</b></span>
<span>${t(lang, 'questions')}：<b id="n-questions">${q.open}</b></span><span>${t(lang, 'milestones')}：<b>${points.length}</b></span></p></section>
<section><h2>${t(lang, 'casesByTown')}</h2>${byTown.length ? barChart(byTown, { id: 'by-town' }) : `<p>${t(lang, 'noCases')}</p>`}</section>
<section><h2>${t(lang, 'casesByStatus')}</h2>${byStatus.length ? barChart(byStatus, { id: 'by-status', color: '#5b8c5a' }) : `<p>${t(lang, 'noCases')}</p>`}</section>
<section><h2>${t(lang, 'indicators')}</h2>${indicatorChart(indicators, { current: t(lang, 'value2020'), target: t(lang, 'target2025') })}</section>
<section><h2>${t(lang, 'milestones')}</h2>${timelineChart(points, today, {
      done: t(lang, 'msDone'),
      due: t(lang, 'msDue'),
      overdue: t(lang, 'msOverdue'),
      unreported: t(lang, 'msUnreported'),
    })}</section>`;
    return page(req, t(lang, 'overview'), body, s);
  }

  /** The cases a filter selects, with their overdue flag and linked milestone. */
  async function filtered(s: WebSession, q: URLSearchParams, now: Date) {
    const status = q.get('status') ?? '';
    const category = q.get('category') ?? '';
    const town = q.get('town') ?? '';
    const task = q.get('task') ?? '';
    const overdue = q.get('overdue') === '1';
    const base = [];
    for (const c of await visibleCases(s))
      base.push({ c, overdue: isOverdue(c, now), task: (await d.ledger.store.link(c.id))?.milestoneId ?? null });
    const rows = base.filter(
      (r) =>
        (!status || r.c.status === status) &&
        (!category || r.c.category === category) &&
        (!town || r.c.town === town) &&
        (!overdue || r.overdue) &&
        (!task || (task === 'none' ? r.task === null : String(r.task) === task)),
    );
    return { base, rows, status, category, town, task, overdue };
  }

  async function casesPage(req: WebRequest, s: WebSession, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const f = await filtered(s, req.query, now);
    const opt = (value: string, label: string, cur: string) =>
      `<option value="${esc(value)}"${value === cur ? ' selected' : ''}>${esc(label)}</option>`;
    const statuses = Object.values(STATUS);
    const towns = [...new Set([...f.base.map((r) => r.c.town).filter((x): x is string => !!x), ...d.towns])];
    const tasks = [...new Set(f.base.map((r) => r.task).filter((x): x is number => x !== null))];
    const taskTitles = new Map<number, string>();
    for (const x of tasks) taskTitles.set(x, (await d.ledger.milestones.get(x))?.title ?? '');
    const countsBy = new Map<string, number>();
    for (const r of f.rows) countsBy.set(r.c.status, (countsBy.get(r.c.status) ?? 0) + 1);
    const qs = new URLSearchParams(
      Object.entries({ status: f.status, category: f.category, town: f.town, task: f.task, overdue: f.overdue ? '1' : '' }).filter(
        ([, v]) => v,
      ),
    ).toString();
    const form = `<form method="get" action="/desk/cases" id="filters">
<label>${t(lang, 'status')} <select name="status">${opt('', t(lang, 'all'), f.status)}${statuses.map((x) => opt(x, x, f.status)).join('')}</select></label>
<label>${t(lang, 'category')} <select name="category">${opt('', t(lang, 'all'), f.category)}${d.categories.map((c) => opt(c.id, c.name, f.category)).join('')}</select></label>
<label>${t(lang, 'town')} <select name="town">${opt('', t(lang, 'all'), f.town)}${towns.map((x) => opt(x, x, f.town)).join('')}</select></label>
<label>${t(lang, 'task')} <select name="task">${opt('', t(lang, 'all'), f.task)}${opt('none', t(lang, 'none'), f.task)}${tasks.map((x) => opt(String(x), `#${x} ${taskTitles.get(x) ?? ''}`, f.task)).join('')}</select></label>
<label><input type="checkbox" name="overdue" value="1"${f.overdue ? ' checked' : ''}> ${t(lang, 'onlyOverdue')}</label>
<button>${t(lang, 'filter')}</button> <a href="/desk/cases.csv${qs ? `?${qs}` : ''}" id="export">${t(lang, 'exportCsv')}</a></form>`;
    const counts = `<p class="counts" id="counts"><span>${t(lang, 'total')}：<b id="n-total">${f.rows.length}</b></span>${[...countsBy.entries()].map(([k, v]) => `<span>${esc(k)}：${v}</span>`).join('')}<span class="overdue">${t(lang, 'overdue')}：${f.rows.filter((r) => r.overdue).length}</span></p>`;
    const rows = f.rows
      .slice()
      .reverse()
      .slice(0, 500)
      .map(
        (
          r,
        ) => `<tr class="case-row"><td><a href="/desk/case/${esc(r.c.ticket)}">${esc(r.c.ticket)}</a></td><td>${esc(r.c.status)}${r.overdue ? ` <span class="overdue">${t(lang, 'overdue')}</span>` : ''}</td>
<td>${esc(d.service.categoryName(r.c.category))}</td><td>${esc(r.c.town ?? '')}</td><td>${esc(r.c.unit)}</td><td>${esc(shanghaiDateTime(new Date(r.c.createdAt)))}</td>
<td>${r.task !== null ? `#${r.task}` : ''}</td><td>${esc(maskPhonesIn(r.c.description).slice(0, 60))}</td></tr>`,
      )
      .join('');
    const table = f.rows.length
      ? `<table id="cases"><tr><th>${t(lang, 'ticket')}</th><th>${t(lang, 'status')}</th><th>${t(lang, 'category')}</th><th>${t(lang, 'town')}</th><th>${t(lang, 'unit')}</th><th>${t(lang, 'created')}</th><th>${t(lang, 'task')}</th><th>${t(lang, 'description')}</th></tr>${rows}</table>`
      : `<p>${t(lang, 'noCases')}</p>`;
    return page(req, t(lang, 'cases'), `<section><h2>${t(lang, 'cases')}</h2>${form}${counts}${table}</section>`, s);
  }

  async function casesCsv(req: WebRequest, s: WebSession, now: Date): Promise<WebResponse> {
    const f = await filtered(s, req.query, now);
    const header = [
      '编号',
      '状态',
      '逾期',
      '类别',
      '镇街',
      '地点',
      '描述',
      '办理单位',
      '提交时间',
      '受理时限',
      '办结时限',
      '关联整改节点',
      '举报人电话',
    ];
    const rows = f.rows.map((r) => [
      r.c.ticket,
      r.c.status,
      r.overdue ? '是' : '否',
      d.service.categoryName(r.c.category),
      r.c.town ?? '',
      maskPhonesIn(r.c.address ?? ''),
      maskPhonesIn(r.c.description),
      r.c.unit,
      shanghaiDateTime(new Date(r.c.createdAt)),
      shanghaiDate(new Date(r.c.acceptDue)),
      r.c.completeDue ? shanghaiDate(new Date(r.c.completeDue)) : '',
      r.task !== null ? `#${r.task}` : '',
      // Exports leave the desk: the phone is always masked there.
      phoneFor(r.c, false),
    ]);
    return {
      status: 200,
      type: 'text/csv; charset=utf-8',
      body: stringify([header, ...rows], { bom: true, record_delimiter: 'windows', escape_formulas: true }),
      headers: { 'content-disposition': `attachment; filename="cases-${shanghaiDate(now)}.csv"` },
    };
  }

  /** The signature that makes a photo's address unguessable and bound to the session. */
  const photoSig = (s: WebSession, ticket: string, n: number) =>
    createHmac('sha256', s.csrf).update(`${ticket}:${n}`).digest('base64url').slice(0, 32);

  async function casePage(req: WebRequest, s: WebSession, ticket: string, now: Date, message = ''): Promise<WebResponse> {
    const lang = langOf(req);
    const actor = actorOf(s);
    const c = await d.service.visibleTo(ticket, actor);
    if (!c) return page(req, t(lang, 'cases'), `<p class="err" id="not-found">${t(lang, 'notFound')}</p>`, s, 404);
    const events = await d.cases.events(c.id);
    const dups = await d.service.possibleDuplicates(c);
    const visibleDups = new Set<string>();
    for (const o of dups) if (await d.service.visibleTo(o.ticket, actor)) visibleDups.add(o.ticket);
    const link = await d.ledger.linkOf(c, now);
    const m = link.milestoneId !== null ? await d.ledger.milestones.get(link.milestoneId) : null;
    const may = d.service.mayseePhone(c, actor);
    const shown: boolean[] = [];
    for (const ref of c.photos) shown.push(d.photos ? await d.photos.shown(c, ref) : ref.startsWith('web:'));
    const choices = await linkChoices(s, m);
    const photos = c.photos
      .map((_ref, i) =>
        shown[i]
          ? `<img class="photo" alt="${t(lang, 'photos')} ${i + 1}" src="/desk/photo/${esc(c.ticket)}/${i}/${photoSig(s, c.ticket, i)}">`
          : `<p>${t(lang, 'photoElsewhere')}</p>`,
      )
      .join('');
    const hidden = `<input type="hidden" name="csrf" value="${esc(s.csrf)}">`;
    const actForm = (action: Action, fields: string) =>
      `<form method="post" action="/desk/case/${esc(c.ticket)}/act" class="act" id="act-${action}">${hidden}<input type="hidden" name="action" value="${action}">${fields}<button>${t(lang, action as 'accept')}</button></form>`;
    const note = `<label>${t(lang, 'note')} <input name="note" size="40"></label>`;
    const forms = ACTIONS.map((a) => {
      if (a === 'accept') return actForm(a, '');
      if (a === 'refuse') return actForm(a, `${note} <label>${t(lang, 'referTo')} <input name="referTo"></label>`);
      if (a === 'recategorize')
        return actForm(
          a,
          `<label>${t(lang, 'newCategory')} <select name="category">${d.categories.map((x) => `<option value="${esc(x.id)}">${esc(x.name)}</option>`).join('')}</select></label>`,
        );
      if (a === 'duplicate') return actForm(a, `<label>${t(lang, 'originalTicket')} <input name="duplicateOf"></label>`);
      return actForm(a, note);
    }).join('');
    const body = `${message}
<section id="case"><h2>${esc(c.ticket)} · <span id="status">${esc(c.status)}</span>${isOverdue(c, now) ? ` <span class="overdue">${t(lang, 'overdue')}</span>` : ''}</h2>
<table><tr><th>${t(lang, 'category')}</th><td>${esc(d.service.categoryName(c.category))}</td></tr>
<tr><th>${t(lang, 'unit')}</th><td>${esc(c.unit)}</td></tr>
<tr><th>${t(lang, 'address')}</th><td>${esc([c.town, c.address].filter(Boolean).join('，'))}${c.lat !== null ? ` (GPS ${c.lat.toFixed(5)}, ${c.lon?.toFixed(5)})` : ''}</td></tr>
<tr><th>${t(lang, 'description')}</th><td>${esc(may ? c.description : maskPhonesIn(c.description))}</td></tr>
<tr><th>${t(lang, 'reporter')}</th><td>${esc(phoneFor(c, may))}</td></tr>
<tr><th>${t(lang, 'created')}</th><td>${esc(shanghaiDateTime(new Date(c.createdAt)))}</td></tr>
<tr><th>${t(lang, 'due')}</th><td>${esc(shanghaiDate(new Date(c.completeDue ?? c.acceptDue)))}</td></tr>
<tr><th>${t(lang, 'task')}</th><td id="task">${m ? `#${m.id} ${esc(m.title)}（${esc(m.dueDate)}）` : t(lang, 'none')}</td></tr>
<tr><th>${t(lang, 'changeLink')}</th><td><form method="post" action="/desk/case/${esc(c.ticket)}/link" id="link-form" class="inline">${hidden}<select name="milestone">${[
      `<option value="0"${m ? '' : ' selected'}>${t(lang, 'noLink')}</option>`,
      ...choices.map(
        (x) => `<option value="${x.id}"${x.id === m?.id ? ' selected' : ''}>#${x.id} ${esc(x.title)}（${esc(x.dueDate)}）</option>`,
      ),
    ].join('')}</select> <button>${t(lang, 'changeLink')}</button></form></td></tr>
${c.duplicateOf ? `<tr><th>${t(lang, 'duplicateOf')}</th><td><a href="/desk/case/${esc(c.duplicateOf)}">${esc(c.duplicateOf)}</a></td></tr>` : ''}</table></section>
<section id="photos"><h3>${t(lang, 'photos')}（${c.photos.length}）</h3>${photos}</section>
<section id="actions"><h3>${t(lang, 'actions')}</h3>${forms}</section>
<section id="duplicates"><h3>${t(lang, 'duplicates')}</h3>${dups.length ? `<ul>${dups.map((o) => `<li>${visibleDups.has(o.ticket) ? `<a href="/desk/case/${esc(o.ticket)}">${esc(o.ticket)}</a>` : esc(o.ticket)} ${esc(o.status)} ${esc(maskPhonesIn(o.description).slice(0, 40))}</li>`).join('')}</ul>` : t(lang, 'none')}</section>
<section id="history"><h3>${t(lang, 'history')}</h3><table>${events.map((e) => `<tr><td>${esc(shanghaiDateTime(new Date(e.at)))}</td><td>${esc(e.actorRole)}</td><td>${esc(e.fromStatus ?? '')} → ${esc(e.toStatus)}</td><td>${esc(maskPhonesIn(e.note ?? ''))}</td></tr>`).join('')}</table></section>`;
    return page(req, c.ticket, body, s);
  }

  async function act(req: WebRequest, s: WebSession, ticket: string, form: Form, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const action = ACTIONS.find((x) => x === form.get('action'));
    if (!action) return page(req, ticket, `<p class="err">${t(lang, 'forbidden')}</p>`, s, 400);
    const actor = actorOf(s);
    if (!(await d.service.visibleTo(ticket, actor)))
      return page(req, t(lang, 'cases'), `<p class="err" id="not-found">${t(lang, 'notFound')}</p>`, s, 404);
    const note = form.get('note').trim() || null;
    const r = await d.service.act(ticket, action, actor, note, now, {
      ...(form.get('referTo') ? { referTo: form.get('referTo').trim() } : {}),
      ...(form.get('duplicateOf') ? { duplicateOf: form.get('duplicateOf').trim().toUpperCase() } : {}),
      ...(form.get('category') ? { category: form.get('category') } : {}),
    });
    if (!r.ok) return casePage(req, s, ticket, now, `<p class="err" id="result">${esc(r.say ? r.say(lang) : r.message)}</p>`);
    // After a recategorisation the case may no longer be the unit's: back to the list then.
    if (!(await d.service.visibleTo(ticket, actor))) return redirect('/desk/cases');
    return redirect(`/desk/case/${encodeURIComponent(ticket)}?done=1`);
  }

  /** The milestones a case may be linked to at the desk: the unit's (all for administrators), and the current one. */
  async function linkChoices(s: WebSession, current: MilestoneRow | null | undefined): Promise<MilestoneRow[]> {
    const list = (await milestonesOf(s)).filter((x) => x.mergedInto === null);
    if (current && !list.some((x) => x.id === current.id)) list.unshift(current);
    return list;
  }

  /** Changes the milestone a case is linked to (as `/link` in chat), recorded in the case history. */
  async function linkAct(req: WebRequest, s: WebSession, ticket: string, form: Form, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const actor = actorOf(s);
    const c = await d.service.visibleTo(ticket, actor);
    if (!c) return page(req, t(lang, 'cases'), `<p class="err" id="not-found">${t(lang, 'notFound')}</p>`, s, 404);
    const before = await d.ledger.linkOf(c, now);
    const had = before.milestoneId !== null ? await d.ledger.milestones.get(before.milestoneId) : null;
    const raw = form.get('milestone').trim();
    const id = /^\d{1,9}$/.test(raw) ? Number(raw) : -1;
    const m = id > 0 ? ((await linkChoices(s, had)).find((x) => x.id === id) ?? null) : null;
    if (id < 0 || (id > 0 && !m)) return casePage(req, s, ticket, now, `<p class="err" id="result">${t(lang, 'linkBad')}</p>`);
    if ((m?.id ?? null) === before.milestoneId) return redirect(`/desk/case/${encodeURIComponent(c.ticket)}?done=1`);
    const by = `desk:${s.userId}`;
    await d.ledger.setLink(c, m?.id ?? null, by, now);
    await d.cases.addEvent(c.id, {
      at: now.toISOString(),
      actorRole: s.role,
      actor: by,
      fromStatus: c.status,
      toStatus: c.status,
      note: m
        ? `关联整改节点 #${m.id} ${m.title}${had ? `（原 #${had.id}）` : ''}`
        : `取消关联整改节点${had ? ` #${had.id} ${had.title}` : ''}`,
    });
    log(`desk: ${c.ticket} linked to ${m ? `#${m.id}` : 'none'} by ${s.userId}`);
    return redirect(`/desk/case/${encodeURIComponent(c.ticket)}?done=1`);
  }

  /** Reads an uploaded web photo (when no photo source is wired in). */
  function webPhoto(ref: string): { bytes: Buffer; mime: string } | null {
    if (!ref.startsWith('web:')) return null;
    const name = ref.slice(4);
    if (!/^[0-9a-f-]{36}\.(jpg|png|webp)$/.test(name)) return null;
    try {
      const bytes = readFileSync(join(d.uploadDir, name));
      const mime = name.endsWith('.png') ? 'image/png' : name.endsWith('.webp') ? 'image/webp' : 'image/jpeg';
      return { bytes, mime };
    } catch {
      return null;
    }
  }

  async function photo(s: WebSession, parts: string[]): Promise<WebResponse> {
    const [ticket, nText, sig, ...rest] = parts;
    const none: WebResponse = { status: 404, type: 'text/plain; charset=utf-8', body: 'not found' };
    const n = Number(nText);
    if (rest.length || !ticket || !Number.isInteger(n) || !sig || sig !== photoSig(s, ticket, n)) return none;
    const c = await d.service.visibleTo(ticket, actorOf(s));
    const ref = c?.photos[n];
    if (!c || !ref) return none;
    let got: { bytes: Buffer; mime: string } | null = null;
    try {
      got = d.photos ? await d.photos.get(c, ref) : webPhoto(ref);
    } catch (e) {
      log(`desk: photo not read: ${e instanceof Error ? e.name : 'error'}`);
    }
    if (!got) return none;
    return { status: 200, type: got.mime, body: got.bytes, headers: { 'cache-control': 'private, no-store' } };
  }

  async function questionsPage(req: WebRequest, s: WebSession, message = ''): Promise<WebResponse> {
    const lang = langOf(req);
    const state = (req.query.get('state') ?? 'open') as 'open';
    const list = await d.questions.queue(['open', 'answered', 'out_of_scope', 'dismissed', 'all'].includes(state) ? state : 'open');
    const counts = await d.questions.counts();
    const ratings = await d.questions.ratings();
    const hidden = `<input type="hidden" name="csrf" value="${esc(s.csrf)}">`;
    const tabs = (['open', 'answered', 'out_of_scope', 'dismissed'] as const)
      .map((k) => `<a href="/desk/questions?state=${k}">${t(lang, k)}（<span id="q-${k}">${counts[k]}</span>）</a>`)
      .join(' · ');
    const rows = list
      .map(
        (
          q,
        ) => `<tr class="question" data-id="${q.id}"><td>${esc(q.question)}</td><td>${q.notFound + q.ratedDown}</td><td>${q.notFound} / ${q.ratedDown}</td><td>${esc(shanghaiDateTime(new Date(q.lastAt)))}</td><td>${t(lang, q.state)}</td>
<td><form method="post" action="/desk/questions/${q.id}" class="curate">${hidden}<input type="hidden" name="op" value="curate"><textarea name="answer" required></textarea><button>${t(lang, 'curate')}</button></form>
<form method="post" action="/desk/questions/${q.id}" class="inline">${hidden}<input type="hidden" name="op" value="out_of_scope"><button>${t(lang, 'outOfScope')}</button></form>
<form method="post" action="/desk/questions/${q.id}" class="inline">${hidden}<input type="hidden" name="op" value="dismiss"><button>${t(lang, 'dismiss')}</button></form></td></tr>`,
      )
      .join('');
    const body = `${message}<section><h2>${t(lang, 'questions')}</h2><p>${tabs} · <a href="/desk/questions.csv" id="export">${t(lang, 'exportCsv')}</a> · 👍 ${ratings.up} 👎 ${ratings.down}</p>
<table id="queue"><tr><th>${t(lang, 'question')}</th><th>${t(lang, 'count')}</th><th>${t(lang, 'notInRecords')} / ${t(lang, 'ratedDown')}</th><th>${t(lang, 'lastAsked')}</th><th>${t(lang, 'status')}</th><th></th></tr>${rows}</table></section>`;
    return page(req, t(lang, 'questions'), body, s);
  }

  async function questionAct(req: WebRequest, s: WebSession, id: number, form: Form, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const q = await d.questions.get(id);
    if (!q) return page(req, t(lang, 'questions'), `<p class="err">${t(lang, 'notFound')}</p>`, s, 404);
    const by = `desk:${s.userId}`;
    const op = form.get('op');
    if (op === 'curate') {
      const answer = form.get('answer').trim().slice(0, 2000);
      if (!answer) return questionsPage(req, s, `<p class="err">${t(lang, 'curate')}？</p>`);
      await d.questions.addCurated(
        { question: q.question, norm: q.norm || questionKey(q.question), answer, unit: s.unit ?? '区管理员', author: by },
        now,
      );
      await d.questions.setState(id, 'answered', by, now);
      d.answerer.invalidate();
      return questionsPage(req, s, `<p class="msg" id="result">${t(lang, 'curatedSaved')}</p>`);
    }
    if (op === 'out_of_scope' || op === 'dismiss') {
      await d.questions.setState(id, op === 'dismiss' ? 'dismissed' : 'out_of_scope', by, now);
      return redirect('/desk/questions');
    }
    return page(req, t(lang, 'questions'), `<p class="err">${t(lang, 'forbidden')}</p>`, s, 400);
  }

  async function questionsCsv(now: Date): Promise<WebResponse> {
    const rows = (await d.questions.queue('all')).map((q) => [
      q.question,
      q.notFound + q.ratedDown,
      q.notFound,
      q.ratedDown,
      q.state,
      shanghaiDateTime(new Date(q.firstAt)),
      shanghaiDateTime(new Date(q.lastAt)),
      q.handledAt ? shanghaiDateTime(new Date(q.handledAt)) : '',
    ]);
    return {
      status: 200,
      type: 'text/csv; charset=utf-8',
      body: stringify([['问题', '次数', '未找到答案', '👎', '状态', '首次提问', '最近提问', '处理时间'], ...rows], {
        bom: true,
        record_delimiter: 'windows',
        escape_formulas: true,
      }),
      headers: { 'content-disposition': `attachment; filename="questions-${shanghaiDate(now)}.csv"` },
    };
  }

  function importPage(req: WebRequest, s: WebSession, message = '', status = 200): WebResponse {
    const lang = langOf(req);
    const docs = d.knowledge().kb.documents;
    const body = `${message}<section><h2>${t(lang, 'import')}</h2>
<form method="post" action="/desk/import" enctype="multipart/form-data" id="import-form"><input type="hidden" name="csrf" value="${esc(s.csrf)}">
<p><label>${t(lang, 'file')} <input type="file" name="file" accept=".docx,.xlsx,.csv,.txt" required></label></p>
<p><label>${t(lang, 'docTitle')} <input name="title" size="50"></label></p><button>${t(lang, 'preview')}</button></form></section>
<section><h3>${t(lang, 'documents')}</h3><ul>${docs.map((x) => `<li>${esc(x.title)}（${esc(x.id)}${x.asOf ? `，${esc(x.asOf)}` : ''}）</li>`).join('')}</ul></section>`;
    return page(req, t(lang, 'import'), body, s, status);
  }

  async function importPreview(req: WebRequest, s: WebSession, form: Form, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const file = form.file('file');
    if (!file || file.bytes.length === 0)
      return importPage(req, s, `<p class="err" id="import-error">文件是空的。 / The file is empty.</p>`, 400);
    let p: PreparedImport;
    try {
      p = await prepareImport(file.bytes, file.name, d.corpusDir(), now, { title: form.get('title') || null });
    } catch (e) {
      const msg = e instanceof ImportError ? e.message : '无法读取这个文件。 / The file cannot be read.';
      if (!(e instanceof ImportError)) log(`desk: import failed: ${e instanceof Error ? e.message : String(e)}`);
      return importPage(req, s, `<p class="err" id="import-error">${esc(msg)}</p>`, 400);
    }
    for (const [k, v] of pending) if (now.getTime() - v.at > PENDING_MS) pending.delete(k);
    const id = randomBytes(16).toString('base64url');
    pending.set(id, { owner: s.userId, at: now.getTime(), p });
    const rows = p.table.records
      .slice(0, 50)
      .map(
        (r) =>
          `<tr><td>${r.row}</td><td>${esc(r.overview ?? '')}</td><td>${esc(r.unit ?? '')}</td><td>${r.targets.map((x) => esc(x.text)).join('<br>')}</td><td>${esc(r.time ?? '')}</td></tr>`,
      )
      .join('');
    const ms = p.milestones
      .map((m) => `<li>${esc(m.title)} · ${esc(m.dueDate)} · ${esc(m.outcome)}${m.unit ? ` · ${esc(m.unit)}` : ''}</li>`)
      .join('');
    const body = `<section id="preview"><h2>${t(lang, 'preview')}：${esc(p.info.title)}</h2>
<p>${esc(p.format.toUpperCase())} · <span id="n-rows">${p.table.records.length}</span> ${t(lang, 'rows')} · ${t(lang, 'targets')} <span id="n-targets">${p.table.records.reduce((n, r) => n + r.targets.length, 0)}</span> · ${t(lang, 'milestones')} <span id="n-milestones">${p.milestones.length}</span></p>
<table><tr><th>#</th><th>整改任务概述</th><th>整改责任单位</th><th>${t(lang, 'targets')}</th><th>整改时间</th></tr>${rows}</table>
<h3>${t(lang, 'milestones')}</h3><ul id="preview-milestones">${ms}</ul>
<form method="post" action="/desk/import/confirm" id="confirm-form"><input type="hidden" name="csrf" value="${esc(s.csrf)}"><input type="hidden" name="id" value="${id}"><button>${t(lang, 'confirm')}</button></form>
<p><a href="/desk/import">${t(lang, 'back')}</a></p></section>`;
    return page(req, t(lang, 'preview'), body, s);
  }

  async function importConfirm(req: WebRequest, s: WebSession, form: Form, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const id = form.get('id');
    const held = pending.get(id);
    if (!held || held.owner !== s.userId || now.getTime() - held.at > PENDING_MS) {
      return importPage(req, s, `<p class="err" id="import-error">${t(lang, 'importGone')}</p>`, 400);
    }
    pending.delete(id);
    try {
      commitImport(held.p, d.corpusDir(), d.importDir);
      await d.reload(now);
    } catch (e) {
      log(`desk: import not committed: ${e instanceof Error ? e.message : String(e)}`);
      const msg = e instanceof ImportError ? e.message : '导入失败，语料未改变。 / The import failed; the corpus is unchanged.';
      return importPage(req, s, `<p class="err" id="import-error">${esc(msg)}</p>`, 500);
    }
    log(`desk: imported ${held.p.info.id} (${held.p.info.title}) by ${s.userId}`);
    return importPage(
      req,
      s,
      `<p class="msg" id="result">${t(lang, 'imported')} ${esc(held.p.info.title)}（${esc(held.p.info.id)}，${held.p.table.records.length} ${t(lang, 'rows')}，${held.p.milestones.length} ${t(lang, 'milestones')}）</p>`,
    );
  }

  function loginPage(req: WebRequest, message = '', status = 200): WebResponse {
    const lang = langOf(req);
    // The code comes in the fragment (never sent to the server or kept in logs); the page posts it and clears the address bar.
    const script = `(function(){var c=location.hash.slice(1);if(c){history.replaceState(null,'',location.pathname);var f=document.getElementById('login');f.code.value=c;f.submit();}})();`;
    const body = `${message}<section><h2>${t(lang, 'signIn')}</h2><p>${t(lang, 'signInHelp')}</p>
<form method="post" action="/desk/login" id="login"><label>${t(lang, 'code')} <input name="code" autocomplete="one-time-code" required></label> <button>${t(lang, 'signIn')}</button></form></section>`;
    return page(req, t(lang, 'signIn'), body, null, status, script);
  }

  async function login(req: WebRequest, form: Form, now: Date): Promise<WebResponse> {
    const lang = langOf(req);
    const client = req.client ?? 'unknown';
    if (!(await d.limits.take('signin-addr', client, now, 15 * 60_000, 10)))
      return loginPage(req, `<p class="err">${t(lang, 'signInSlow')}</p>`, 429);
    const token = cookieValue(req.cookie, SESSION_COOKIE) ?? '';
    const s = await d.sessions.signIn(token, form.get('code'), now, client);
    if (!s) return loginPage(req, `<p class="err" id="login-error">${t(lang, 'signInBad')}</p>`, 403);
    return redirect('/desk/', { 'set-cookie': d.sessions.cookie(s, now) });
  }

  return {
    async handle(req: WebRequest): Promise<WebResponse | null> {
      if (req.path !== '/desk' && !req.path.startsWith('/desk/')) return null;
      const now = clock();
      const path = req.path === '/desk' ? '/desk/' : req.path;
      if (req.method === 'GET' && path === '/desk/lang') {
        const to = req.query.get('to') === 'en' ? 'en' : 'zh';
        return redirect('/desk/', { 'set-cookie': `desk_lang=${to}; Path=/desk; Max-Age=31536000; SameSite=Strict` });
      }
      if (req.method === 'GET' && path === '/desk/login') return loginPage(req);
      if (req.method === 'POST') {
        if (!sameOrigin(req)) return page(req, 'forbidden', `<p class="err" id="forbidden">${t(langOf(req), 'forbidden')}</p>`, null, 403);
        const form = await formOf(req);
        if (!form) return page(req, 'bad request', `<p class="err">${t(langOf(req), 'forbidden')}</p>`, null, 400);
        if (path === '/desk/login') return login(req, form, now);
        const s = await sessionOf(req, now);
        if (!s) return redirect('/desk/login');
        if (!d.sessions.csrfOk(s, form.get('csrf')))
          return page(req, 'forbidden', `<p class="err" id="forbidden">${t(langOf(req), 'forbidden')}</p>`, s, 403);
        if (path === '/desk/logout') {
          await d.sessions.revoke(s.token);
          return redirect('/desk/login', { 'set-cookie': d.sessions.cookie(null, now) });
        }
        const actM = /^\/desk\/case\/([^/]{1,40})\/act$/.exec(path);
        if (actM) return act(req, s, decoded(actM[1] as string).toUpperCase(), form, now);
        const linkM = /^\/desk\/case\/([^/]{1,40})\/link$/.exec(path);
        if (linkM) return linkAct(req, s, decoded(linkM[1] as string).toUpperCase(), form, now);
        const qM = /^\/desk\/questions\/(\d{1,12})$/.exec(path);
        if (qM) return questionAct(req, s, Number(qM[1]), form, now);
        if (path === '/desk/import' || path === '/desk/import/confirm') {
          if (s.role !== 'admin')
            return page(req, t(langOf(req), 'import'), `<p class="err">${t(langOf(req), 'importAdmins')}</p>`, s, 403);
          return path === '/desk/import' ? importPreview(req, s, form, now) : importConfirm(req, s, form, now);
        }
        return page(req, 'not found', '<p class="err">not found</p>', s, 404);
      }
      if (req.method !== 'GET') return { status: 405, type: 'text/plain; charset=utf-8', body: 'method not allowed' };
      const s = await sessionOf(req, now);
      if (!s) return redirect('/desk/login');
      if (path === '/desk/') return overview(req, s, now);
      if (path === '/desk/cases') return casesPage(req, s, now);
      if (path === '/desk/cases.csv') return casesCsv(req, s, now);
      if (path === '/desk/questions') return questionsPage(req, s);
      if (path === '/desk/questions.csv') return questionsCsv(now);
      if (path === '/desk/import') {
        if (s.role !== 'admin') return page(req, t(langOf(req), 'import'), `<p class="err">${t(langOf(req), 'importAdmins')}</p>`, s, 403);
        return importPage(req, s);
      }
      const caseM = /^\/desk\/case\/([^/]{1,40})$/.exec(path);
      if (caseM) {
        const done = req.query.get('done') === '1' ? `<p class="msg" id="result">${t(langOf(req), 'done')}</p>` : '';
        return casePage(req, s, decoded(caseM[1] as string).toUpperCase(), now, done);
      }
      if (path.startsWith('/desk/photo/')) return photo(s, path.slice('/desk/photo/'.length).split('/'));
      return page(req, 'not found', '<p class="err">not found</p>', s, 404);
    },
  };
}
