/**
 * Masking of personal data for logs and for people who may not see it: phone numbers keep only
 * their first three and last two digits. Phone-like strings are found inside free text too (a
 * reporter may type a number into a description), with half- or full-width digits, spaces, dashes
 * or brackets between the groups.
 */

const D = '[0-9\\uFF10-\\uFF19]';
const SEP = '[-\\s\\u2010-\\u2015\\uFF0D]?';
const PHONE = new RegExp(
  [
    // Mobile: optional +86 / 0086, then 1[3-9]x xxxx xxxx.
    `(?<!${D})(?:(?:\\+|\\uFF0B|00)?86${SEP})?[1\\uFF11][3-9\\uFF13-\\uFF19]${D}${SEP}${D}{4}${SEP}${D}{4}(?!${D})`,
    // Landline: area code 0xx(x), optionally in brackets, then 7–8 digits, maybe split 3/4 + 4.
    `(?<!${D})[(\\uFF08]?[0\\uFF10]${D}{2,3}[)\\uFF09]?${SEP}${D}{3,4}${SEP}${D}{4}(?!${D})`,
  ].join('|'),
  'g',
);

const toAscii = (s: string) => s.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));

/** Masks one phone number: 13812345678 → 138******78. */
export function maskPhone(phone: string): string {
  const digits = toAscii(phone)
    .replace(/\D/g, '')
    .replace(/^(?:00)?86(?=1\d{10}$)/, '');
  if (digits.length < 6) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 5)}${digits.slice(-2)}`;
}

/** Masks every phone-like number inside free text (log lines, exports, group pushes). */
export function maskPhonesIn(text: string): string {
  return text.replace(PHONE, (m) => maskPhone(m));
}

/** Masks phones inside a value that may be null. */
export function maskOrNull(text: string | null): string | null {
  return text === null ? null : maskPhonesIn(text);
}
