/**
 * Case photos kept as files: the web's own uploads (`web:<name>` under the upload folder) and the
 * photos of other channels downloaded on receipt (WeCom media expire after three days), recorded in
 * `photo_files` by their channel reference. Only bytes that are really JPEG, PNG or WebP are kept
 * or served.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { imageType } from '../core/image.js';
import type { Db } from './db.js';

/** What the first bytes say an image is: JPEG, PNG or WebP, else null. */
export const imageKind = imageType;

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
