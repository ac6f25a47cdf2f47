/**
 * Open311 GeoReport v2 at /open311/v2/ (JSON only): services.json (the categories), requests.json
 * (filters service_request_id, status, service_code, start_date, end_date; paging with page and
 * page_size), requests/{service_request_id}.json, and POST requests.json with an api_key issued by
 * `npm run admin -- open311-key`.
 *
 * The public view never holds a reporter's identity or phone: no channel, user, chat or phone
 * fields; phones typed into a description or address are masked; an anonymous report shows its
 * 镇街 only, no street address, and its coordinates rounded to 0.001° (about 100 m). Photos are not
 * published. Statuses are GeoReport's open/closed, the detailed status in status_notes. Reads are
 * limited per client address, posts per key.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Category } from '../../cases/categories.js';
import type { Area } from '../../cases/geo.js';
import { kmOutside } from '../../cases/geo.js';
import { OPEN_STATUSES, STATUS } from '../../cases/lifecycle.js';
import type { CaseService } from '../../cases/service.js';
import { type Clock, shanghaiIso } from '../../core/clock.js';
import { maskPhonesIn } from '../../core/mask.js';
import type { ApiKeyPort, CasePort, CaseRecord, LimitPort } from '../../store/ports.js';
import type { WebRequest } from '../channels/web/web.js';
import type { RouteResponse } from '../http.js';

/** Limits of the API. */
export const open311Limits = {
  /** Reads per client address per minute. */
  readsPerMinute: 60,
  /** Posts per key per hour (the case service's own per-reporter limit applies too). */
  postsPerHour: 30,
  pageSizeDefault: 50,
  pageSizeMax: 200,
  /** Without dates, requests.json covers this many days (GeoReport's default window). */
  defaultDays: 90,
  /** Decimals of the coordinates of anonymous reports (3 ≈ 100 m). */
  anonymousDecimals: 3,
};

/** What the API needs. */
export interface Open311Deps {
  cases: CasePort;
  service: CaseService;
  categories: Category[];
  towns: string[];
  area: Area;
  apiKeys: ApiKeyPort;
  limits: LimitPort;
  /** The time of each request or update (the composition root passes the system clock). */
  clock: Clock;
  /** Link a new case to the milestone it bears on, as the chat does. */
  onFiled?: (c: CaseRecord, now: Date) => Promise<unknown>;
}

/** The SHA-256 of an API key (only this is stored). */
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

const json = (status: number, body: unknown, headers: Record<string, string> = {}): RouteResponse => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
  headers: { 'access-control-allow-origin': '*', ...headers },
});
const error = (status: number, code: number, description: string) => json(status, [{ code, description }]);

const OPEN = new Set<string>(OPEN_STATUSES);

const postSchema = z.object({
  api_key: z.string().min(10).max(200),
  service_code: z.string().min(1).max(64),
  lat: z.coerce.number().min(-90).max(90).optional(),
  long: z.coerce.number().min(-180).max(180).optional(),
  address_string: z.string().max(500).optional(),
  description: z.string().min(1).max(2000),
  phone: z.string().max(40).optional(),
});

const dateParam = (v: string | null): Date | null => {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t) : null;
};

/** Creates the API. */
export function createOpen311(d: Open311Deps) {
  const clock = d.clock;
  const name = (code: string) => d.categories.find((c) => c.id === code)?.name ?? code;

  /** A case as GeoReport v2 shows it, with nothing of its reporter. */
  function view(c: CaseRecord): Record<string, unknown> {
    const round = (v: number | null) => {
      if (v === null) return null;
      const p = 10 ** (c.anonymous ? open311Limits.anonymousDecimals : 5);
      return Math.round(v * p) / p;
    };
    const notes = [`状态：${c.status}`];
    if (c.status === STATUS.refused && c.refuseReason) notes.push(`理由：${maskPhonesIn(c.refuseReason)}`);
    if (c.status === STATUS.refused && c.referTo) notes.push(`请向${maskPhonesIn(c.referTo)}反映`);
    if (c.duplicateOf) notes.push(`与 ${c.duplicateOf} 重复`);
    const due = c.completeDue ?? (c.status === STATUS.submitted ? c.acceptDue : null);
    return {
      service_request_id: c.ticket,
      status: OPEN.has(c.status) || c.status === STATUS.submitted ? 'open' : 'closed',
      status_notes: notes.join('；'),
      service_name: name(c.category),
      service_code: c.category,
      description: maskPhonesIn(c.description),
      agency_responsible: c.unit,
      service_notice: '',
      requested_datetime: shanghaiIso(new Date(c.createdAt)),
      updated_datetime: shanghaiIso(new Date(c.updatedAt)),
      expected_datetime: due ? shanghaiIso(new Date(due)) : null,
      address: c.anonymous ? (c.town ?? '') : maskPhonesIn([c.town, c.address].filter(Boolean).join('')),
      address_id: null,
      zipcode: null,
      lat: round(c.lat),
      long: round(c.lon),
      media_url: null,
    };
  }

  async function list(q: URLSearchParams, now: Date): Promise<RouteResponse> {
    const ids = (q.get('service_request_id') ?? '')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean);
    if (ids.length) {
      return json(
        200,
        (await Promise.all(ids.slice(0, 100).map((id) => d.cases.byTicket(id)))).filter((c): c is CaseRecord => c !== null).map(view),
      );
    }
    const end = dateParam(q.get('end_date'));
    const start = dateParam(q.get('start_date'));
    if ((q.get('end_date') && !end) || (q.get('start_date') && !start))
      return error(400, 400, 'start_date and end_date must be w3 date-times');
    const to = end ?? now;
    const from = start ?? new Date(to.getTime() - open311Limits.defaultDays * 86_400_000);
    const statuses = (q.get('status') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (statuses.some((s) => s !== 'open' && s !== 'closed')) return error(400, 400, 'status must be open or closed');
    const codes = (q.get('service_code') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const page = Math.max(1, Math.min(100_000, Number.parseInt(q.get('page') ?? '1', 10) || 1));
    const size = Math.max(
      1,
      Math.min(open311Limits.pageSizeMax, Number.parseInt(q.get('page_size') ?? '', 10) || open311Limits.pageSizeDefault),
    );
    const rows = (await d.cases.list({ from: from.toISOString(), to: new Date(to.getTime() + 1).toISOString() }))
      .filter((c) => codes.length === 0 || codes.includes(c.category))
      .map(view)
      .filter((v) => statuses.length === 0 || statuses.includes(v.status as string))
      .reverse();
    const pageRows = rows.slice((page - 1) * size, page * size);
    return json(200, pageRows, {
      'x-total-count': String(rows.length),
      ...(page * size < rows.length ? { link: `</open311/v2/requests.json?page=${page + 1}&page_size=${size}>; rel="next"` } : {}),
    });
  }

  async function post(req: WebRequest, now: Date): Promise<RouteResponse> {
    let fields: Record<string, string> = {};
    try {
      const type = req.contentType || 'application/x-www-form-urlencoded';
      if (type.includes('json')) {
        // A JSON body that is not an object (null, a number, a list) has no fields: refused, not a crash.
        const parsed: unknown = JSON.parse(req.body.toString('utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return error(400, 400, 'the body must be an object');
        fields = parsed as Record<string, string>;
      } else {
        const fd = await new Request('http://open311.local/', {
          method: 'POST',
          headers: { 'content-type': type },
          body: req.body,
        }).formData();
        for (const [k, v] of fd.entries()) if (typeof v === 'string') fields[k] = v;
      }
    } catch {
      return error(400, 400, 'the body must be application/x-www-form-urlencoded');
    }
    const key = typeof fields.api_key === 'string' ? await d.apiKeys.byHash(hashKey(fields.api_key)) : null;
    if (!key) return error(403, 403, 'api_key is missing or not valid');
    if (!(await d.limits.take('open311-key', String(key.id), now, 3600_000, open311Limits.postsPerHour)))
      return error(429, 429, 'too many requests for this api_key');
    const p = postSchema.safeParse(fields);
    if (!p.success) return error(400, 400, `bad request: ${p.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    const f = p.data;
    if (!d.categories.some((c) => c.id === f.service_code)) return error(404, 404, 'service_code not found');
    const hasPoint = f.lat !== undefined && f.long !== undefined;
    if (!hasPoint && !f.address_string) return error(400, 400, 'a location is required: lat and long, or address_string');
    if (hasPoint && kmOutside(d.area, { lat: f.lat as number, lon: f.long as number }) > d.area.maxOutsideKm) {
      return error(400, 400, `the location is outside ${d.area.name}`);
    }
    const town =
      d.towns.find((t) => (f.address_string ?? '').includes(t) || (f.address_string ?? '').includes(t.replace(/(镇|街道)$/, ''))) ?? null;
    const r = await d.service.file(
      {
        category: f.service_code,
        town,
        address: f.address_string ?? null,
        lat: hasPoint ? (f.lat as number) : null,
        lon: hasPoint ? (f.long as number) : null,
        description: f.description,
        since: null,
        anonymous: !f.phone,
        phone: f.phone ?? null,
        photos: [],
      },
      { channel: 'open311', userId: `key-${key.id}`, chatId: `key-${key.id}` },
      null,
      now,
    );
    if (!r.ok) return error(r.code === 'rate_limited' ? 429 : 400, r.code === 'rate_limited' ? 429 : 400, r.message);
    await d.onFiled?.(r.case, now);
    return json(201, [{ service_request_id: r.case.ticket, service_notice: `已转${r.case.unit}办理`, account_id: null }]);
  }

  return {
    async handle(req: WebRequest): Promise<RouteResponse | null> {
      if (!req.path.startsWith('/open311/')) return null;
      const now = clock();
      const path = req.path.replace(/^\/open311\/v2\//, '/');
      if (path === req.path) return error(404, 404, 'use /open311/v2/');
      if (/\.xml$/.test(path)) return error(400, 400, 'only the JSON format is served');
      if (req.method === 'POST' && path === '/requests.json') return post(req, now);
      if (req.method !== 'GET') return error(405, 405, 'method not allowed');
      if (!(await d.limits.take('open311-addr', req.client ?? 'unknown', now, 60_000, open311Limits.readsPerMinute))) {
        return error(429, 429, 'too many requests: try again in a minute');
      }
      if (path === '/services.json') {
        return json(
          200,
          d.categories.map((c) => ({
            service_code: c.id,
            service_name: c.name,
            description: `${c.name}（默认办理单位：${c.unit}）`,
            metadata: false,
            type: 'realtime',
            keywords: c.keywords.join(','),
            group: '农业农村污染',
          })),
        );
      }
      if (path === '/requests.json') return list(req.query, now);
      const one = /^\/requests\/([A-Za-z0-9-]{1,40})\.json$/.exec(path);
      if (one) {
        const c = await d.cases.byTicket((one[1] as string).toUpperCase());
        return c ? json(200, [view(c)]) : error(404, 404, 'service_request_id not found');
      }
      return error(404, 404, 'not found');
    },
  };
}
