// Which documents a silence covers (SPEC §10): a silence names a customer and, optionally, the
// purpose, type and name it is limited to. One condition, used by every statement that holds what
// a silence covers or writes what it covered into a timeline.

/**
 * The condition "silence `s` covers the document of row `row`" (active or not): `row` is the
 * alias of a row with customer_id, purpose, document_type and the document name in `nameColumn`.
 */
export function silenceCovers(s: string, row: string, nameColumn = 'document_name'): string {
  return `${row}.customer_id = ${s}.customer_id
    AND (${s}.purpose IS NULL OR ${s}.purpose = ${row}.purpose)
    AND (${s}.document_type IS NULL OR ${s}.document_type = ${row}.document_type)
    AND (${s}.document_name IS NULL OR ${s}.document_name = ${row}.${nameColumn})`;
}

/** The silences active at `at` (an SQL expression) that cover the document of row `row`. */
export function activeSilenceFor(row: string, nameColumn: string, at: string): string {
  return `SELECT s.id FROM silences AS s
    WHERE ${silenceCovers('s', row, nameColumn)}
      AND s.removed_at IS NULL AND s.starts_at <= ${at} AND s.ends_at > ${at}`;
}
