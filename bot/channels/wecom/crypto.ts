/**
 * WeCom callback cryptography (WXBizMsgCrypt): SHA-1 signatures compared in constant time, and
 * AES-256-CBC with the IV taken from the key and PKCS#7 padding to 32 bytes. The plaintext is
 * random(16) ‖ length (4 bytes, big-endian) ‖ message ‖ receive id (the corp id).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { RectifyError } from '../../../core/errors.js';

/** The signature of a callback: sha1 of the sorted token, timestamp, nonce and payload. */
export function signature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
}

/**
 * Checks a signature in constant time: both sides are hashed to the same length first, so neither
 * the content nor the length of the given signature changes how long the comparison takes.
 */
export function verifySignature(expected: string, token: string, timestamp: string, nonce: string, encrypted: string): boolean {
  const actual = createHash('sha256')
    .update(signature(token, timestamp, nonce, encrypted))
    .digest();
  const given = createHash('sha256').update(String(expected).slice(0, 256).toLowerCase()).digest();
  return timingSafeEqual(actual, given);
}

/** Largest callback body scanned (WeCom messages are a few KB). */
export const MAX_CALLBACK_BYTES = 64 * 1024;

/**
 * The raw `Encrypt` field of a callback body, found without parsing the XML: the text between the
 * first `<Encrypt>` and the next `</Encrypt>` (in CDATA or not), which must be base64. Linear in
 * the body's length; null for anything else. The signature is checked over exactly this string.
 */
export function extractEncrypt(body: string): string | null {
  if (body.length > MAX_CALLBACK_BYTES) return null;
  const open = body.indexOf('<Encrypt>');
  if (open < 0) return null;
  const close = body.indexOf('</Encrypt>', open + 9);
  if (close < 0) return null;
  let inner = body.slice(open + 9, close).trim();
  if (inner.startsWith('<![CDATA[') && inner.endsWith(']]>')) inner = inner.slice(9, -3);
  return inner.length > 0 && inner.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(inner) ? inner : null;
}

function keyOf(encodingAesKey: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new RectifyError('wecom', 'aes_key', 'EncodingAESKey must decode to 32 bytes');
  return key;
}

/** Decrypts a callback payload; throws when the padding, length or receive id is wrong. */
export function decrypt(
  encodingAesKey: string,
  encrypted: string,
  expectedReceiveId: string | null,
): { message: string; receiveId: string } {
  const key = keyOf(encodingAesKey);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  } catch (cause) {
    throw new RectifyError('wecom', 'decrypt', 'cannot decrypt the payload', { cause });
  }
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > 32 || plain.length < 20 + pad) throw new RectifyError('wecom', 'decrypt', 'bad padding');
  const body = plain.subarray(16, plain.length - pad);
  const len = body.readUInt32BE(0);
  if (len > body.length - 4) throw new RectifyError('wecom', 'decrypt', 'bad message length');
  const message = body.subarray(4, 4 + len).toString('utf8');
  const receiveId = body.subarray(4 + len).toString('utf8');
  if (expectedReceiveId !== null && receiveId !== expectedReceiveId) {
    throw new RectifyError('wecom', 'receive_id', 'the payload is for another corp');
  }
  return { message, receiveId };
}

/** Encrypts a message (for passive replies and for tests that play WeCom). */
export function encrypt(encodingAesKey: string, message: string, receiveId: string, random: Buffer = randomBytes(16)): string {
  const key = keyOf(encodingAesKey);
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length, 0);
  const body = Buffer.concat([random, len, msg, Buffer.from(receiveId, 'utf8')]);
  const pad = 32 - (body.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}
