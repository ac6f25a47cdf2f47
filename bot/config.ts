/**
 * The program's settings, parsed once from the environment by a pure function. Every variable is
 * documented in .env.example; a bad value stops start-up with the variable's name and the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { RectifyError } from '../core/errors.js';

/** Whether a string is a PostgreSQL connection URL with a host (a socket folder given as ?host=… counts). */
function isPostgresUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && (u.hostname !== '' || u.searchParams.has('host'));
  } catch {
    return false;
  }
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(blankToUndefined, z.string().optional());
const int = (def: number, min: number, max: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).default(def));
const bool = (def: boolean) =>
  z.preprocess(
    blankToUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  );
const dateList = z.preprocess(
  blankToUndefined,
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dates must be YYYY-MM-DD, comma-separated'))),
);
// Five or six cron fields; node-cron validates the meaning when the scheduler starts.
const cronExpr = (def: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\S+( \S+){4,5}$/, 'must be a cron expression of 5 or 6 fields')
      .default(def),
  );

const base = z.object({
  DATABASE_PATH: z.preprocess(blankToUndefined, z.string().default('./data/rectify.db')),
  // A shared PostgreSQL instead of the SQLite file (several replicas). Never echoed: it may hold a password.
  DATABASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine(
        isPostgresUrl,
        'must be a postgres:// (or postgresql://) address with a host, e.g. postgres://rectify@db.internal:5432/rectify',
      )
      .optional(),
  ),
  // How many copies of the program serve behind one address (all on DATABASE_URL).
  REPLICAS: int(1, 1, 64),
  CORPUS_DIR: optionalString,
  // Seconds between looks at the stored corpus version: a document imported on one replica
  // reaches the others within this (issue 13).
  CORPUS_POLL_SECONDS: int(5, 1, 3600),
  LEXICON_DIR: optionalString,
  INDEX_SNAPSHOT_PATH: z.preprocess(blankToUndefined, z.string().default('./data/index-snapshot.json')),
  // Passage search: MiniSearch in memory, SQLite FTS5 or PostgreSQL full-text; auto picks by corpus size.
  SEARCH_BACKEND: z.preprocess(blankToUndefined, z.enum(['auto', 'minisearch', 'sqlite', 'postgres']).default('auto')),
  SEARCH_FULLTEXT_MIN_MB: z.preprocess(blankToUndefined, z.coerce.number().min(0).max(100_000).default(5)),
  SEARCH_SQLITE_PATH: z.preprocess(blankToUndefined, z.string().default('./data/search-fts.db')),
  SEARCH_POSTGRES_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  HTTP_HOST: z.preprocess(blankToUndefined, z.string().default('127.0.0.1')),
  HTTP_PORT: int(8080, 0, 65535),
  PUBLIC_BASE_URL: z.preprocess(blankToUndefined, z.url().optional()),
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(['debug', 'info', 'warn', 'error']).default('info')),
  HTTP_TRUST_PROXY: bool(false),

  WEB_SESSION_DAYS: int(30, 1, 365),
  WEB_SIGNIN_HOURS: int(8, 1, 168),
  LOGIN_CODE_MINUTES: int(15, 1, 1440),
  WEB_SESSIONS_PER_HOUR_PER_ADDRESS: int(60, 1, 100_000),
  WEB_REPORTS_PER_HOUR_PER_ADDRESS: int(20, 1, 100_000),
  LOOKUPS_PER_HOUR: int(30, 1, 100_000),
  UPLOAD_DIR: optionalString,
  UPLOAD_MAX_MB: int(5, 1, 20),
  UPLOAD_QUOTA_MB: int(500, 1, 10_000_000),
  DISK_MIN_FREE_MB: int(200, 0, 10_000_000),

  TELEGRAM_BOT_TOKEN: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\d+:[\w-]{20,}$/, 'must look like 123456:ABC…')
      .optional(),
  ),
  TELEGRAM_API_ROOT: z.preprocess(blankToUndefined, z.url().default('https://api.telegram.org')),
  TELEGRAM_WEBHOOK_URL: z.preprocess(blankToUndefined, z.url().optional()),
  TELEGRAM_WEBHOOK_SECRET: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1–256 characters of A-Z a-z 0-9 _ -')
      .optional(),
  ),

  WECOM_CORP_ID: optionalString,
  WECOM_AGENT_ID: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional()),
  WECOM_SECRET: optionalString,
  WECOM_TOKEN: optionalString,
  WECOM_ENCODING_AES_KEY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9]{43}$/, 'must be the 43-character EncodingAESKey')
      .optional(),
  ),
  WECOM_API_BASE: z.preprocess(blankToUndefined, z.url().default('https://qyapi.weixin.qq.com')),
  WECOM_WEBHOOK_KEY: optionalString,
  WECOM_MAX_CLOCK_SKEW_SECONDS: int(300, 30, 3600),

  CASE_ACCEPT_DAYS: int(15, 1, 365),
  CASE_COMPLETE_DAYS: int(60, 1, 3650),
  REPORTS_PER_HOUR: int(5, 1, 1000),
  CASE_CATEGORIES_FILE: optionalString,

  JOBS_ENABLED: bool(true),
  REMINDER_CRON: cronExpr('7 9 * * *'),
  DIGEST_CRON: cronExpr('17 9 * * 1'),
  DISPATCH_CRON: cronExpr('*/20 * * * * *'),
  REMINDER_LEAD_DAYS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .default('90,30,7,1')
      .transform((s) => s.split(',').map((x) => Number(x.trim())))
      .pipe(z.array(z.number().int().min(0).max(3650)).min(1)),
  ),
  // Weekly requests for a result after a milestone's deadline before only the digest and the
  // administrators hear of it.
  RESULT_REQUEST_WEEKS: int(4, 1, 52),
  HOLIDAYS: dateList,
  WORKDAYS: dateList,
});

/** Settings that only make sense together; checked on the raw values so every problem is reported at once. */
function crossChecks(env: Record<string, string | undefined>): Array<{ name: string; message: string }> {
  const has = (k: string) => (env[k] ?? '').trim() !== '';
  const out: Array<{ name: string; message: string }> = [];
  if (has('TELEGRAM_WEBHOOK_URL') && !has('TELEGRAM_WEBHOOK_SECRET')) {
    out.push({ name: 'TELEGRAM_WEBHOOK_SECRET', message: 'is required when TELEGRAM_WEBHOOK_URL is set' });
  }
  const replicas = Number(env.REPLICAS ?? '1');
  if (replicas > 1 && !has('DATABASE_URL')) {
    out.push({
      name: 'DATABASE_URL',
      message:
        '多个副本（REPLICAS > 1）须共用一个 PostgreSQL 数据库 / is required when REPLICAS > 1: replicas share one PostgreSQL (an SQLite file serves one host)',
    });
  }
  if (replicas > 1 && has('TELEGRAM_BOT_TOKEN') && !has('TELEGRAM_WEBHOOK_URL')) {
    out.push({
      name: 'TELEGRAM_WEBHOOK_URL',
      message:
        '多个副本不能同时长轮询 Telegram，请设置 Webhook / is required when REPLICAS > 1: long polling cannot be shared (Telegram answers one getUpdates caller at a time); every replica serves the webhook',
    });
  }
  const app = ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET'];
  const set = app.filter(has);
  if (set.length > 0 && set.length < app.length) {
    for (const k of app.filter((x) => !has(x))) out.push({ name: k, message: `is required with ${set.join(', ')}` });
  }
  if ((env.SEARCH_BACKEND ?? '').trim() === 'postgres' && !has('SEARCH_POSTGRES_URL')) {
    out.push({ name: 'SEARCH_POSTGRES_URL', message: 'is required when SEARCH_BACKEND is postgres' });
  }
  if (has('WECOM_TOKEN') !== has('WECOM_ENCODING_AES_KEY')) {
    out.push({
      name: has('WECOM_TOKEN') ? 'WECOM_ENCODING_AES_KEY' : 'WECOM_TOKEN',
      message: 'WECOM_TOKEN and WECOM_ENCODING_AES_KEY go together',
    });
  }
  return out;
}

/** The parsed settings. */
export type Config = z.infer<typeof base>;

/** The names of all settings. */
export const SETTING_NAMES = Object.keys(base.shape) as Array<keyof Config>;

/** Parses the settings from an environment; throws a RectifyError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const r = base.safeParse(env);
  const problems = [
    ...(r.success ? [] : r.error.issues.map((i) => ({ name: String(i.path[0] ?? '?'), message: i.message }))),
    ...crossChecks(env),
  ];
  if (r.success && problems.length === 0) return r.data;
  const lines = problems.map((p) => `${p.name}: ${p.message}`);
  throw new RectifyError('config', 'invalid', `bad settings:\n  ${lines.join('\n  ')}`);
}

/** Which channels the settings turn on. */
export function channelsOf(c: Config): { telegram: boolean; wecomApp: boolean; wecomCallback: boolean; wecomRobot: boolean } {
  return {
    telegram: c.TELEGRAM_BOT_TOKEN !== undefined,
    wecomApp: c.WECOM_CORP_ID !== undefined && c.WECOM_SECRET !== undefined && c.WECOM_AGENT_ID !== undefined,
    wecomCallback: c.WECOM_TOKEN !== undefined && c.WECOM_ENCODING_AES_KEY !== undefined && c.WECOM_CORP_ID !== undefined,
    wecomRobot: c.WECOM_WEBHOOK_KEY !== undefined,
  };
}

/**
 * Reads `.env` text: `NAME=value` lines, `#` comments, optional `export `, values optionally in
 * single or double quotes (double-quoted ones may hold \n). Nothing else is interpreted.
 */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = (m[2] ?? '').trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"');
    else if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1] as string] = v;
  }
  return out;
}

/**
 * The environment with `.env` under it: the file's values where the environment has none (the
 * environment wins). The result goes through the same validation (`parseConfig`), so a bad value in
 * `.env` is reported, never ignored. No file: the environment as it is.
 */
export function withDotEnv(env: Record<string, string | undefined>, file: string): Record<string, string | undefined> {
  if (!existsSync(file)) return env;
  const fromFile = parseDotEnv(readFileSync(file, 'utf8'));
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return merged;
}
