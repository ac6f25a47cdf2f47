/**
 * Validation of the search index snapshot read back from disk (zod): a damaged or foreign file is
 * treated as absent (the index is rebuilt) instead of being handed to MiniSearch as if it were an
 * index. The shape checked is MiniSearch's own serialisation (version 1 or 2) under our version key.
 */
import { z } from 'zod';

const term = z.tuple([z.string(), z.record(z.string(), z.record(z.string(), z.number()))]);

const miniSearchJs = z
  .object({
    documentCount: z.number().int().nonnegative(),
    nextId: z.number().int().nonnegative(),
    documentIds: z.record(z.string(), z.unknown()),
    fieldIds: z.record(z.string(), z.number().int()),
    fieldLength: z.record(z.string(), z.array(z.number())),
    averageFieldLength: z.array(z.number()),
    storedFields: z.record(z.string(), z.unknown()),
    dirtCount: z.number().int().nonnegative().optional(),
    // Tens of thousands of terms: their shape is checked on a sample, so a start-up stays fast.
    index: z.array(z.unknown()).superRefine((terms, ctx) => {
      const step = Math.max(1, Math.floor(terms.length / 200));
      for (let i = 0; i < terms.length; i += step) {
        if (!term.safeParse(terms[i]).success) {
          ctx.addIssue({ code: 'custom', message: `index term ${i} is malformed` });
          return;
        }
      }
    }),
    serializationVersion: z.union([z.literal(1), z.literal(2)]),
  })
  .loose();

/** A snapshot as written by the index. */
export const snapshotSchema = z.object({ version: z.string().min(1).max(1000), minisearch: miniSearchJs }).loose();

/** A snapshot's parts, or null when the text is not a usable snapshot. */
export function readSnapshot(text: string): { version: string; minisearch: unknown } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = snapshotSchema.safeParse(raw);
  return r.success ? r.data : null;
}
