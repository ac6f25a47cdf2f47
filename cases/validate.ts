/**
 * Validation of report fields, each rejection with a friendly Chinese message.
 */
import { z } from 'zod';
import { hanLength } from '../core/text.js';

/** Limits of a report, named so tests and messages share them. */
export const reportLimits = {
  minHan: 5,
  maxChars: 2000,
  maxPhotos: 9,
  maxAddress: 200,
};

/** A description: at least 5 Chinese characters, at most 2,000 characters. */
export const descriptionSchema = z
  .string()
  .transform((s) => s.trim())
  .refine((s) => hanLength(s) >= reportLimits.minHan, `描述太短了：请至少写${reportLimits.minHan}个汉字，说清楚在哪里、发生了什么。`)
  .refine((s) => s.length <= reportLimits.maxChars, `描述太长了：请控制在${reportLimits.maxChars}字以内，可以分条简要说明。`);

/** A mainland mobile (11 digits from 13–19) or landline (0 + area code + 7–8 digits) number. */
export const phoneSchema = z
  .string()
  .transform((s) => s.replace(/[\s-－—()（）]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, ''))
  .refine(
    (s) => /^1[3-9]\d{9}$/.test(s) || /^0\d{2,3}\d{7,8}$/.test(s),
    '电话号码格式不对：请输入11位手机号（如13812345678）或带区号的座机号（如023-47521234）。',
  );

/** A point on Earth. */
export const pointSchema = z.object({
  lat: z.number().finite().min(-90, '纬度超出范围').max(90, '纬度超出范围'),
  lon: z.number().finite().min(-180, '经度超出范围').max(180, '经度超出范围'),
});

/** The message of the first problem, for a chat reply. */
export function firstMessage(e: z.ZodError): string {
  return e.issues[0]?.message ?? '输入有误，请重新输入。';
}

/** Reads coordinates typed as "29.29, 106.25" (latitude first). */
export function parseCoordinates(text: string): { lat: number; lon: number } | null {
  const m = /^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,，\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return null;
  const p = pointSchema.safeParse({ lat: Number(m[1]), lon: Number(m[2]) });
  return p.success ? p.data : null;
}
