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

/** Checks a signature in constant time. */
export function verifySignature(expected: string, token: string, timestamp: string, nonce: string, encrypted: string): boolean {
  const actual = Buffer.from(signature(token, timestamp, nonce, encrypted), 'utf8');
  const given = Buffer.from(String(expected).toLowerCase(), 'utf8');
  return actual.length === given.length && timingSafeEqual(actual, given);
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
