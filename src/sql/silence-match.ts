// Which documents a silence covers (SPEC §10): the condition "an active silence matches this
// document", for statements that hold what a silence covers: `row` is the alias of a row with customer_id, purpose, document_type
// and a document name column, `at` the SQL expression of the moment. A silence names a customer
// and, optionally, the purpose, type and name it is limited to.

export function activeSilenceFor(row: string, nameColumn: string, at: string): string {
  return `SELECT s.id FROM silences AS s
    WHERE s.customer_id = ${row}.customer_id
      AND (s.purpose IS NULL OR s.purpose = ${row}.purpose)
      AND (s.document_type IS NULL OR s.document_type = ${row}.document_type)
      AND (s.document_name IS NULL OR s.document_name = ${row}.${nameColumn})
      AND s.removed_at IS NULL AND s.starts_at <= ${at} AND s.ends_at > ${at}`;
}

/** The condition "silence `s` covers the document of case `c`" (active or not): its customer, and the purpose, type and name it names. */
export function silenceCoversCase(s: string, c: string): string {
  return `${c}.customer_id = ${s}.customer_id
    AND (${s}.purpose IS NULL OR ${s}.purpose = ${c}.purpose)
    AND (${s}.document_type IS NULL OR ${s}.document_type = ${c}.document_type)
    AND (${s}.document_name IS NULL OR ${s}.document_name = ${c}.document_name)`;
}
