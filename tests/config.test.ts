import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelsOf, parseConfig, SETTING_NAMES } from '../bot/config.js';

const example = readFileSync(join(import.meta.dirname, '..', '.env.example'), 'utf8');
const documented = Object.fromEntries(
  example
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

describe('parseConfig', () => {
  it('runs on embedded defaults with nothing set', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      DATABASE_PATH: './data/rectify.db',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: 8080,
      CASE_ACCEPT_DAYS: 15,
      REMINDER_LEAD_DAYS: [90, 30, 7, 1],
    });
    expect(channelsOf(c)).toEqual({ telegram: false, wecomApp: false, wecomCallback: false, wecomRobot: false });
  });

  it('documents every setting in .env.example, and the example parses', () => {
    expect(Object.keys(documented).sort()).toEqual([...SETTING_NAMES].sort());
    expect(() => parseConfig(documented)).not.toThrow();
  });

  it('names each bad variable and says why', () => {
    let message = '';
    try {
      parseConfig({
        HTTP_PORT: 'abc',
        TELEGRAM_WEBHOOK_URL: 'https://bot.example/hook',
        WECOM_CORP_ID: 'x',
        WECOM_ENCODING_AES_KEY: 'short',
        HOLIDAYS: '2025/10/01',
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^config: /);
    for (const name of ['HTTP_PORT', 'TELEGRAM_WEBHOOK_SECRET', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_ENCODING_AES_KEY', 'HOLIDAYS']) {
      expect(message).toContain(name);
    }
  });

  it('takes a PostgreSQL DATABASE_URL, never echoing it when it is wrong', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://rectify:s3cret@db.internal:5432/rectify' }).DATABASE_URL).toBe(
      'postgres://rectify:s3cret@db.internal:5432/rectify',
    );
    expect(parseConfig({ DATABASE_URL: 'postgresql:///rectify?host=/run/postgresql' }).DATABASE_URL).toContain('postgresql://');
    expect(parseConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
    for (const bad of ['mysql://u:s3cret@h/db', 'postgres://', 'db.internal:5432']) {
      expect(() => parseConfig({ DATABASE_URL: bad })).toThrow(/DATABASE_URL: must be a postgres:\/\//);
      expect(() => parseConfig({ DATABASE_URL: bad })).not.toThrow(/s3cret/);
    }
  });

  it('refuses several replicas without a shared PostgreSQL, or with Telegram long polling', () => {
    expect(parseConfig({}).REPLICAS).toBe(1);
    expect(() => parseConfig({ REPLICAS: '3' })).toThrow(/DATABASE_URL: 多个副本/);
    const pg = { REPLICAS: '3', DATABASE_URL: 'postgres://rectify@db.internal/rectify' };
    expect(parseConfig(pg).REPLICAS).toBe(3);
    expect(() => parseConfig({ ...pg, TELEGRAM_BOT_TOKEN: '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr' })).toThrow(
      /TELEGRAM_WEBHOOK_URL: 多个副本不能同时长轮询.*long polling/,
    );
    expect(() =>
      parseConfig({
        ...pg,
        TELEGRAM_BOT_TOKEN: '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr',
        TELEGRAM_WEBHOOK_URL: 'https://bot.example/telegram/webhook',
        TELEGRAM_WEBHOOK_SECRET: 'x',
      }),
    ).not.toThrow();
    expect(() => parseConfig({ TELEGRAM_BOT_TOKEN: '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr' })).not.toThrow();
  });

  it('validates the hardening settings (issue 11) and gives them safe defaults', () => {
    expect(parseConfig({})).toMatchObject({
      HTTP_TRUST_PROXY: false,
      WEB_SESSION_DAYS: 30,
      WEB_SIGNIN_HOURS: 8,
      LOGIN_CODE_MINUTES: 15,
      WEB_REPORTS_PER_HOUR_PER_ADDRESS: 20,
      LOOKUPS_PER_HOUR: 30,
      UPLOAD_MAX_MB: 5,
      UPLOAD_QUOTA_MB: 500,
      DISK_MIN_FREE_MB: 200,
      WECOM_MAX_CLOCK_SKEW_SECONDS: 300,
    });
    let message = '';
    try {
      parseConfig({ WECOM_MAX_CLOCK_SKEW_SECONDS: '5', UPLOAD_MAX_MB: '100', HTTP_TRUST_PROXY: 'maybe', WEB_SIGNIN_HOURS: '0' });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const name of ['WECOM_MAX_CLOCK_SKEW_SECONDS', 'UPLOAD_MAX_MB', 'HTTP_TRUST_PROXY', 'WEB_SIGNIN_HOURS'])
      expect(message).toContain(name);
  });
});

describe('.env (issue 12)', () => {
  it('is read under the environment, which wins, and validated the same way', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { parseConfig, parseDotEnv, withDotEnv } = await import('../bot/config.js');
    const dir = mkdtempSync(join(tmpdir(), 'dotenv-'));
    const file = join(dir, '.env');
    writeFileSync(file, '# comment\nHTTP_PORT=9091\nexport CASE_ACCEPT_DAYS="5"\nREPORTS_PER_HOUR=7 # inline\n');
    expect(parseDotEnv('A=1\n#x\nB="two words"\n')).toEqual({ A: '1', B: 'two words' });
    const c = parseConfig(withDotEnv({ REPORTS_PER_HOUR: '3' }, file));
    expect(c.HTTP_PORT).toBe(9091);
    expect(c.CASE_ACCEPT_DAYS).toBe(5);
    expect(c.REPORTS_PER_HOUR).toBe(3);
    writeFileSync(file, 'HTTP_PORT=not-a-port\n');
    expect(() => parseConfig(withDotEnv({}, file))).toThrow(/HTTP_PORT/);
    expect(withDotEnv({ A: '1' }, join(dir, 'missing.env'))).toEqual({ A: '1' });
  });
});
