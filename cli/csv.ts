/** CSV for exports, through a well-kept writer. */
import { stringify } from 'csv-stringify/sync';

/**
 * The CSV of an export: csv-stringify with a BOM (so Excel reads UTF-8), CRLF line ends, and every
 * cell that starts with = + - @ (or a tab or CR) prefixed with ' so a spreadsheet never runs it.
 */
export function casesCsv(header: string[], rows: unknown[][]): string {
  return stringify([header, ...rows], {
    bom: true,
    record_delimiter: 'windows',
    escape_formulas: true,
    cast: { boolean: (b) => String(b) },
  });
}
