/**
 * Case photos kept as files: the web's own uploads (`web:<name>` under the upload folder) and the
 * photos of other channels downloaded on receipt (WeCom media expire after three days), recorded in
 * `photo_files` by their channel reference. Only bytes that are really JPEG, PNG or WebP are kept
 * or served.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { imageType } from '../core/image.js';
import type { PhotoFilePort } from './ports.js';

/** What the first bytes say an image is: JPEG, PNG or WebP, else null. */
export const imageKind = imageType;

/** The stored bytes of a case photo reference, when they are kept here and are an image. */
export async function readStoredPhoto(
  photos: PhotoFilePort,
  uploadDir: string,
  ref: string,
): Promise<{ bytes: Buffer; mime: string } | null> {
  const name = ref.startsWith('web:') ? ref.slice(4) : await photos.file(ref);
  if (!name || name !== basename(name)) return null;
  try {
    const bytes = readFileSync(join(uploadDir, name));
    const kind = imageKind(bytes);
    return kind ? { bytes, mime: kind.mime } : null;
  } catch {
    return null;
  }
}

/** Whether a channel reference already has a stored file (a redelivered message is not downloaded again). */
export async function hasPhotoFile(photos: PhotoFilePort, ref: string): Promise<boolean> {
  return (await photos.file(ref)) !== null;
}

/**
 * Keeps the bytes of a photo received on another channel (a downloaded WeCom image) as a file under
 * the upload folder, recorded under its channel reference. Refused — and nothing written — unless
 * the bytes really are a JPEG, PNG or WebP image of at most `maxBytes`. The file is written under a
 * temporary name and renamed, so a crash never leaves half a photo under its real name.
 */
export async function storePhotoFile(
  photos: PhotoFilePort,
  uploadDir: string,
  ref: string,
  bytes: Buffer,
  maxBytes: number,
  now: Date,
): Promise<{ ok: true; file: string } | { ok: false; reason: 'not_image' | 'too_large' }> {
  if (bytes.length > maxBytes) return { ok: false, reason: 'too_large' };
  const kind = imageKind(bytes);
  if (!kind || bytes.length < 16) return { ok: false, reason: 'not_image' };
  const prefix = ref.slice(0, ref.indexOf(':') + 1).replace(/[^a-z]/g, '') || 'photo';
  const file = `${prefix}-${createHash('sha256').update(ref).digest('hex').slice(0, 32)}.${kind.ext}`;
  mkdirSync(uploadDir, { recursive: true });
  const tmp = join(uploadDir, `.${file}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(uploadDir, file));
  await photos.record(ref, file, kind.mime, bytes.length, now);
  return { ok: true, file };
}

/** Whether a photo reference has its bytes kept here (a web upload, or a downloaded photo). */
export async function hasStoredPhoto(photos: PhotoFilePort, ref: string): Promise<boolean> {
  return ref.startsWith('web:') || (await hasPhotoFile(photos, ref));
}

/**
 * Keeps the downloaded bytes of a channel's photo under its reference (as `storePhotoFile` does);
 * null, keeping nothing, when they are not an image.
 */
export async function keepDownloadedPhoto(
  photos: PhotoFilePort,
  uploadDir: string,
  ref: string,
  bytes: Buffer,
  now: Date,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<{ bytes: Buffer; mime: string } | null> {
  const kept = await storePhotoFile(photos, uploadDir, ref, bytes, maxBytes, now);
  const kind = imageKind(bytes);
  return kept.ok && kind ? { bytes, mime: kind.mime } : null;
}
