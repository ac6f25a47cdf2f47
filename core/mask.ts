/**
 * Masking of personal data for logs and for people who may not see it: phone numbers keep only
 * their first three and last two digits.
 */

const PHONE =
  /(?<!\d)(\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{2})(\d{2})(?!\d)|(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{2})[- ]?(\d{2})?(?!\d)/g;

/** Masks one phone number: 13812345678 → 138******78. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 6) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 5)}${digits.slice(-2)}`;
}

/** Masks every phone-like number inside free text (log lines, dumps). */
export function maskPhonesIn(text: string): string {
  return text.replace(PHONE, (m) => maskPhone(m));
}
