/** A client of the officials' desk over HTTP: signs in with a one-time code, keeps the cookie, reads the CSRF token off the pages. */
import { Document, Packer, Paragraph, Table, TableCell, TableRow } from 'docx';

/** A desk client. */
export interface DeskClient {
  readonly cookie: string;
  get(path: string): Promise<{ status: number; text: string; headers: Headers }>;
  post(
    path: string,
    fields: Record<string, string>,
    extra?: Record<string, string>,
  ): Promise<{ status: number; text: string; headers: Headers }>;
  /** The CSRF token of the session (read from a page). */
  csrf(): Promise<string>;
}

/** Signs in at the desk with a code (or stays signed out with none). */
export async function deskClient(base: string, code?: string): Promise<DeskClient> {
  let cookie = '';
  const take = (r: Response) => {
    const set = r.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0] as string;
  };
  const wrap = async (r: Response) => ({ status: r.status, text: await r.text(), headers: r.headers });
  const client: DeskClient = {
    get cookie() {
      return cookie;
    },
    async get(path) {
      const r = await fetch(`${base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      take(r);
      return wrap(r);
    },
    async post(path, fields, extra = {}) {
      const r = await fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...extra },
        body: new URLSearchParams(fields).toString(),
      });
      take(r);
      return wrap(r);
    },
    async csrf() {
      const page = await client.get('/desk/questions');
      return /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    },
  };
  if (code) {
    const r = await client.post('/desk/login', { code });
    if (r.status !== 303) throw new Error(`sign-in failed: ${r.status} ${r.text.slice(0, 200)}`);
  }
  return client;
}

/** A DOCX with one rectification table, made with the docx package. */
export async function makeDocx(rows: string[][]): Promise<Buffer> {
  const cell = (text: string) => new TableCell({ children: text.split('\n').map((l) => new Paragraph(l)) });
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph('江津区农村黑臭水体整改台账'),
          new Table({ rows: rows.map((r) => new TableRow({ children: r.map(cell) })) }),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

/** The table the tests import: 黑臭水体 targets that the shipped corpus does not have. */
export const BLACK_WATER_ROWS = [
  ['序号', '整改任务概述', '整改责任单位', '整改目标', '整改措施及成效', '整改时间'],
  [
    '1',
    '部分农村黑臭水体尚未完成治理，群众反映强烈。',
    '区生态环境局',
    '一、到2027年底完成12条农村黑臭水体治理。\n二、到2026年底建成黑臭水体监测点位8个。',
    '整改措施：一是全面排查农村黑臭水体。二是制定“一水一策”治理方案。\n成效：已完成5条黑臭水体治理。',
    '2027年12月',
  ],
];
