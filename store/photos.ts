/**
 * Case photos kept as files: the web's own uploads (`web:<name>` under the upload folder) and the
 * photos of other channels downloaded on receipt (WeCom media expire after three days), recorded in
 * `photo_files` by their channel reference. Only bytes that are really JPEG, PNG or WebP are kept
 * or served.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Db } from './db.js';

/** What the first bytes say an image is: JPEG, PNG or WebP, else null. */
export function imageKind(b: Buffer): { ext: string; mime: string } | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { ext: 'jpg', mime: 'image/jpeg' };
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return { ext: 'png', mime: 'image/png' };
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP')
    return { ext: 'webp', mime: 'image/webp' };
  return null;
}

/** Records a downloaded photo's file under its channel reference. */
export function recordPhotoFile(db: Db, ref: string, file: string, mime: string, bytes: number, now: Date): void {
  db.prepare('INSERT OR REPLACE INTO photo_files (ref, file, mime, bytes, created_at) VALUES (?, ?, ?, ?, ?)').run(
    ref,
    basename(file),
    mime,
    bytes,
    now.toISOString(),
  );
}

/** The stored bytes of a case photo reference, when they are kept here and are an image. */
export function readStoredPhoto(db: Db, uploadDir: string, ref: string): { bytes: Buffer; mime: string } | null {
  const name = ref.startsWith('web:')
    ? ref.slice(4)
    : ((db.prepare('SELECT file FROM photo_files WHERE ref = ?').pluck().get(ref) as string | undefined) ?? null);
  if (!name || name !== basename(name)) return null;
  try {
    const bytes = readFileSync(join(uploadDir, name));
    const kind = imageKind(bytes);
    return kind ? { bytes, mime: kind.mime } : null;
  } catch {
    return null;
  }
}

/** Whether a photo reference has its bytes kept here (a web upload, or a downloaded photo). */
export function hasStoredPhoto(db: Db, ref: string): boolean {
  return ref.startsWith('web:') || db.prepare('SELECT 1 FROM photo_files WHERE ref = ?').pluck().get(ref) !== undefined;
}

/**
 * Keeps the downloaded bytes of a channel's photo under its reference (a file with a random name in
 * the upload folder, recorded in `photo_files`); null, keeping nothing, when they are not an image.
 */
export function keepDownloadedPhoto(
  db: Db,
  uploadDir: string,
  ref: string,
  bytes: Buffer,
  now: Date,
): { bytes: Buffer; mime: string } | null {
  const kind = imageKind(bytes);
  if (!kind) return null;
  mkdirSync(uploadDir, { recursive: true });
  const name = `${randomUUID()}.${kind.ext}`;
  const tmp = join(uploadDir, `.${name}.part`);
  writeFileSync(tmp, bytes, { mode: 0o600 });
  renameSync(tmp, join(uploadDir, name));
  recordPhotoFile(db, ref, name, kind.mime, bytes.length, now);
  return { bytes, mime: kind.mime };
}
