import { describe, expect, it } from 'vitest';
import type { Inbound, Reply } from '../bot/dialog/types.js';
import { makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES = [
  '',
  ' ',
  '举报',
  '取消',
  '确认',
  '跳过',
  '完成',
  '匿名',
  '满意',
  '不满意',
  '/start',
  '/report',
  '/status',
  '/cases',
  '/accept JJ-20261122-ABCDE',
  '/join',
  '/close',
  '查询 JJ-20261122-ZZZZZ',
  '尾水整改完成了多少？',
  '13812345678',
  '29.3,106.2',
  '999,999',
  '石蟆镇',
  '😀'.repeat(50),
  '\u0000\u0001\u202e',
  '<script>alert(1)</script>',
  'x'.repeat(100_000),
  '臭'.repeat(3000),
  'NaN',
];
const CHOICES = [
  'cat:livestock',
  'cat:nope',
  'town:石蟆镇',
  'town:火星',
  'loc:ok',
  'loc:retry',
  'skip',
  'done',
  'anon',
  'contact',
  'confirm',
  'edit',
  'edit:photos',
  'edit:zzz',
  'cancel',
  'rate:JJ-1:yes',
  'act:accept:JJ-20261122-ABCDE',
  'case:',
  'status:',
  ':::',
  '',
];

function randomMessage(r: () => number): Record<string, unknown> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const kind = Math.floor(r() * 8);
  switch (kind) {
    case 0:
      return { text: pick(SAMPLES) };
    case 1:
      return { choice: pick(CHOICES) };
    case 2:
      return { location: { lat: (r() - 0.5) * 400, lon: (r() - 0.5) * 800, label: r() < 0.5 ? null : pick(SAMPLES) } };
    case 3:
      return { photos: Array.from({ length: Math.floor(r() * 15) }, (_, i) => `p${i}`) };
    case 4: // wrong types
      return pick([
        { text: 42 },
        { choice: { a: 1 } },
        { location: 'here' },
        { photos: 'one' },
        { location: { lat: Number.NaN, lon: Infinity } },
        { text: null, choice: null },
      ]);
    case 5:
      return { text: String.fromCodePoint(...Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 0x2ffff))) };
    case 6:
      return { text: pick(SAMPLES), photos: ['a'], location: { lat: 29.3, lon: 106.3 } };
    default:
      return { text: pick(SAMPLES).slice(0, Math.floor(r() * 20)) };
  }
}

function validReply(x: Reply): boolean {
  if (typeof x.text !== 'string' || x.text.length === 0 || x.text.length > 10_000) return false;
  if (x.choices !== undefined) {
    if (!Array.isArray(x.choices)) return false;
    for (const row of x.choices)
      for (const c of row) if (typeof c.label !== 'string' || typeof c.value !== 'string' || !c.label) return false;
  }
  return true;
}

describe('dialog fuzzing', () => {
  it('survives thousands of random inputs in every state with valid replies', async () => {
    const errors: unknown[] = [];
    const app = await makeApp({}, ':memory:', (e) => errors.push(e));
    const r = rng(20261122);
    // Drive users into each step of the intake (every prefix of a whole intake, plus the side
    // steps), then fuzz them.
    const intake: Array<Record<string, unknown>> = [
      { text: '举报' },
      { choice: 'cat:livestock' },
      { choice: 'town:石蟆镇' },
      { text: '养猪场往河里排粪水' },
      { choice: 'skip' },
      { choice: 'skip' },
      { choice: 'anon' },
      { choice: 'edit' },
    ];
    const setups: Array<Array<Record<string, unknown>>> = [
      ...intake.map((_, i) => intake.slice(0, i)),
      [...intake.slice(0, 2), { location: { lat: 39.9, lon: 116.4 } }],
      [...intake.slice(0, 6), { choice: 'contact' }],
    ];
    const official = talker(app, 'fuzz-official');
    await official.say(`/join ${await app.people.invite('official', '区农业农村委', NOW)}`);
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      const setup = setups[i % setups.length] as Array<Record<string, unknown>>;
      const user = `fuzz-${i % 50}`;
      const t = talker(app, user);
      await t.say('取消');
      for (const m of setup) await t.send(m as Partial<Inbound>);
      const message = {
        channel: 'test',
        userId: r() < 0.1 ? 'fuzz-official' : user,
        chatId: user,
        messageId: `z${i}`,
        ...randomMessage(r),
      };
      let result: Awaited<ReturnType<typeof app.dialog.handle>> | undefined;
      await expect(
        (async () => {
          result = await app.dialog.handle(message as unknown as Inbound, NOW);
        })(),
      ).resolves.toBeUndefined();
      for (const reply of result?.replies ?? []) {
        expect(validReply(reply), JSON.stringify(reply).slice(0, 200)).toBe(true);
        checked++;
      }
    }
    expect(errors).toEqual([]);
    expect(checked).toBeGreaterThan(3000);
  });
});
