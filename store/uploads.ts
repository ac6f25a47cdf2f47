/**
 * Photos uploaded through the web chat: who uploaded each (so only its uploader can attach it to a
 * report), its size (for the storage quota) and whether a report took it.
 */
import type { Db } from './db.js';

/** The upload store. */
export interface UploadStore {
  record(u: { ref: string; channel: string; userId: string; bytes: number; mime: string }, now: Date): void;
  /** Bytes stored in all uploads. */
  totalBytes(): number;
  /** Uploads of a user not yet attached to a report, since a time. */
  pendingCount(channel: string, userId: string, since: Date): number;
  /** Whether the user uploaded this reference. */
  owns(channel: string, userId: string, ref: string): boolean;
  /** Marks references as taken by a report. */
  attach(refs: string[], now: Date): void;
  /** Forgets uploads no report took before `before`; returns their references (to delete the files). */
  removeOrphans(before: Date): string[];
}

/** Creates the upload store. */
export function createUploadStore(db: Db): UploadStore {
  const ins = db.prepare('INSERT INTO uploads (ref, channel, user_id, bytes, mime, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const total = db.prepare('SELECT coalesce(sum(bytes), 0) FROM uploads').pluck();
  const pending = db
    .prepare('SELECT count(*) FROM uploads WHERE channel = ? AND user_id = ? AND attached_at IS NULL AND created_at >= ?')
    .pluck();
  const owns = db.prepare('SELECT 1 FROM uploads WHERE channel = ? AND user_id = ? AND ref = ?').pluck();
  const attach = db.prepare('UPDATE uploads SET attached_at = coalesce(attached_at, ?) WHERE ref = ?');
  const orphans = db.prepare('DELETE FROM uploads WHERE attached_at IS NULL AND created_at < ? RETURNING ref').pluck();
  return {
    record: (u, now) => {
      ins.run(u.ref, u.channel, u.userId, u.bytes, u.mime, now.toISOString());
    },
    totalBytes: () => total.get() as number,
    pendingCount: (channel, userId, since) => pending.get(channel, userId, since.toISOString()) as number,
    owns: (channel, userId, ref) => owns.get(channel, userId, ref) !== undefined,
    attach: (refs, now) => {
      for (const r of refs) attach.run(now.toISOString(), r);
    },
    removeOrphans: (before) => orphans.all(before.toISOString()) as string[],
  };
}
