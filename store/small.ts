/**
 * The small SQLite stores of the job machinery and the store's own health: the reminder log
 * (idempotence of reminders), leases (one holder per named firing across processes), the health
 * probe, and the files kept for other channels' photos.
 */
import { basename } from 'node:path';
import { type Db, schemaVersion } from './db.js';
import type { StoredCorpus } from './ports.js';

/** Reminders already decided. */
export interface ReminderLogStore {
  has(milestoneId: number, unit: string, kind: string, period: string): boolean;
  requests(milestoneId: number, unit: string): { count: number; last: string | null };
  record(milestoneId: number, unit: string, kind: string, period: string, now: Date): void;
  escalations(): Array<{ milestoneId: number; unit: string }>;
  /** Nothing to do: SQLite transactions begin IMMEDIATE (one writer across processes), after the adapter's mutex. */
  serialise(job: string): void;
}

/** Creates the reminder log over a database. */
export function createReminderLogStore(db: Db): ReminderLogStore {
  const seen = db.prepare('SELECT 1 FROM reminder_log WHERE milestone_id = ? AND unit = ? AND kind = ? AND period = ?');
  const requestsQ = db.prepare(
    "SELECT count(*) AS count, max(period) AS last FROM reminder_log WHERE milestone_id = ? AND unit = ? AND kind = 'result-request'",
  );
  const log = db.prepare(
    'INSERT INTO reminder_log (milestone_id, unit, kind, period, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  return {
    has: (id, unit, kind, period) => seen.get(id, unit, kind, period) !== undefined,
    requests: (id, unit) => requestsQ.get(id, unit) as { count: number; last: string | null },
    record: (id, unit, kind, period, now) => {
      log.run(id, unit, kind, period, now.toISOString());
    },
    escalations: () =>
      db
        .prepare("SELECT milestone_id AS milestoneId, unit FROM reminder_log WHERE kind = 'escalation' ORDER BY unit, milestone_id")
        .all() as Array<{ milestoneId: number; unit: string }>,
    serialise: () => {},
  };
}

/** Leases by name. */
export interface LeaseStore {
  claim(name: string, holder: string, until: Date, now: Date): boolean;
  prune(before: Date): number;
}

/** Creates the lease store over a database. */
export function createLeaseStore(db: Db): LeaseStore {
  const claim = db.prepare(
    `INSERT INTO leases (name, holder, until) VALUES (@name, @holder, @until)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until < @now`,
  );
  const prune = db.prepare('DELETE FROM leases WHERE until < ?');
  return {
    claim: (name, holder, until, now) => claim.run({ name, holder, until: until.toISOString(), now: now.toISOString() }).changes === 1,
    prune: (before) => prune.run(before.toISOString()).changes,
  };
}

/** The store's health probe. */
export interface HealthStore {
  probe(now: Date): void;
  schemaVersion(): number;
}

/** Creates the health probe over a database. */
export function createHealthStore(db: Db): HealthStore {
  const probeQ = db.prepare('INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at');
  return {
    probe: (now) => {
      probeQ.run(now.toISOString());
    },
    schemaVersion: () => schemaVersion(db),
  };
}

/** Files kept for other channels' photos. */
export interface PhotoFileStore {
  record(ref: string, file: string, mime: string, bytes: number, now: Date): void;
  file(ref: string): string | null;
}

/** Creates the photo file store over a database. */
export function createPhotoFileStore(db: Db): PhotoFileStore {
  const ins = db.prepare('INSERT OR REPLACE INTO photo_files (ref, file, mime, bytes, created_at) VALUES (?, ?, ?, ?, ?)');
  const get = db.prepare('SELECT file FROM photo_files WHERE ref = ?').pluck();
  return {
    record: (ref, file, mime, bytes, now) => {
      ins.run(ref, basename(file), mime, bytes, now.toISOString());
    },
    file: (ref) => (get.get(ref) as string | undefined) ?? null,
  };
}

/** The imported corpus and its version (issue 13). */
export interface CorpusStore {
  version(): number;
  read(): StoredCorpus | null;
  publish(files: Record<string, string>, hash: string, now: Date): number;
}

export function createCorpusStore(db: Db): CorpusStore {
  const versionQ = db.prepare('SELECT version, hash, updated_at FROM corpus_version WHERE id = 1');
  const filesQ = db.prepare('SELECT name, content FROM corpus_files ORDER BY name');
  const clearQ = db.prepare('DELETE FROM corpus_files');
  const putQ = db.prepare('INSERT INTO corpus_files (name, content) VALUES (?, ?)');
  const bumpQ = db.prepare(
    `INSERT INTO corpus_version (id, version, hash, updated_at) VALUES (1, 1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET version = corpus_version.version + 1, hash = excluded.hash, updated_at = excluded.updated_at
     RETURNING version`,
  );
  type Row = { version: number; hash: string; updated_at: string };
  return {
    version: () => (versionQ.get() as Row | undefined)?.version ?? 0,
    read() {
      const v = versionQ.get() as Row | undefined;
      if (!v) return null;
      const files: Record<string, string> = {};
      for (const r of filesQ.all() as Array<{ name: string; content: string }>) files[r.name] = r.content;
      return { version: v.version, hash: v.hash, updatedAt: new Date(v.updated_at), files };
    },
    publish(files, hash, now) {
      clearQ.run();
      for (const [name, content] of Object.entries(files)) putQ.run(name, content);
      return (bumpQ.get(hash, now.toISOString()) as { version: number }).version;
    },
  };
}
