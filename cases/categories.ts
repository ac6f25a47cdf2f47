/**
 * Complaint categories (after the 12369 types, adapted to this district's rectification work):
 * read from data, never from code, and used to pre-classify a free-text report.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RectifyError } from '../core/errors.js';

/** A category of complaint with the unit that handles it by default. */
export interface Category {
  id: string;
  name: string;
  /** The English name (an English dialog shows it). */
  nameEn?: string;
  unit: string;
  keywords: string[];
}

const schema = z.object({
  categories: z
    .array(
      z.object({
        id: z.string().min(1),
        name: z.string().min(1),
        nameEn: z.string().min(1).optional(),
        unit: z.string().min(1),
        keywords: z.array(z.string()),
      }),
    )
    .min(1),
});

/** Reads a categories file. */
export function loadCategories(path: string): Category[] {
  const r = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!r.success) throw new RectifyError('cases', 'categories', `bad categories file ${path}: ${z.prettifyError(r.error)}`);
  return r.data.categories;
}

/** The category whose keywords a text mentions most (longer keywords weigh more), or null. */
export function classifyReport(text: string, categories: Category[]): Category | null {
  const lower = text.toLowerCase();
  let best: Category | null = null;
  let bestScore = 0;
  for (const c of categories) {
    let score = 0;
    for (const k of c.keywords) if (lower.includes(k)) score += k.length;
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** Finds a category by id, by exact name, or by a name that contains the text. */
export function findCategory(text: string, categories: Category[]): Category | null {
  const t = text.trim();
  return (
    categories.find((c) => c.id === t || c.name === t || c.nameEn?.toLowerCase() === t.toLowerCase()) ??
    (/^[a-z ,-]{3,}$/i.test(t) ? categories.find((c) => c.nameEn?.toLowerCase().includes(t.toLowerCase())) : undefined) ??
    (t.length >= 2 ? categories.find((c) => c.name.includes(t) || t.includes(c.name)) : undefined) ??
    null
  );
}

/** A category's name in a language (Chinese when it has no English name). */
export function categoryLabel(c: Category | undefined, lang: 'zh' | 'en'): string | null {
  if (!c) return null;
  return lang === 'en' && c.nameEn ? c.nameEn : c.name;
}
