/** Building WHERE clauses from optional filters, so listing queries stay parameterised. */

/** One condition: its SQL with `?` placeholders and its values; skipped when `when` is false. */
export interface Condition {
  when: unknown;
  sql: string;
  args: Array<string | number>;
}

/** " WHERE a AND b" for the conditions that apply (or ""), and their values in order. */
export function where(conditions: Condition[]): { sql: string; args: Array<string | number> } {
  const used = conditions.filter((c) => c.when);
  return {
    sql: used.length ? ` WHERE ${used.map((c) => c.sql).join(' AND ')}` : '',
    args: used.flatMap((c) => c.args),
  };
}
