import type { SqlClient } from './client.js';
import { activeSilenceFor } from './silence-match.js';

// Queues a reminder (an outbox row of kind `reminder`) for each open case whose last email went
// out at least `everyMs` ago and that was not reminded within `everyMs` (SPEC §10), marking the
// case reminded in the same statement: replicas running it at once queue one reminder per case
// (a case locked by one is skipped by the others; one updated meanwhile no longer matches).
// Returns how many it queued.

const TEXT = `
WITH due AS (
  SELECT id FROM cases
  WHERE state = 'open' AND NOT EXISTS (${activeSilenceFor('cases', 'document_name', '$1::timestamptz')})
    AND last_emailed_at <= $1::timestamptz - $2::bigint * interval '1 millisecond'
    AND (reminded_at IS NULL OR reminded_at <= $1::timestamptz - $2::bigint * interval '1 millisecond')
  ORDER BY opened_at, id
  LIMIT $3::int
  FOR UPDATE SKIP LOCKED
), reminded AS (
  UPDATE cases AS c SET reminded_at = $1::timestamptz FROM due WHERE c.id = due.id
  RETURNING c.id, c.customer_id, c.purpose, c.document_type, c.document_name, c.document_status, c.opened_at
)
INSERT INTO alerts (kind, customer_id, case_id, purpose, document_type, document_name, new_status, detected_at)
SELECT 'reminder', customer_id, id, purpose, document_type, document_name, document_status, $1::timestamptz FROM reminded ORDER BY id`;

export async function queueReminders(client: SqlClient, p: { now: Date; everyMs: number; limit: number }): Promise<number> {
  const { rowCount } = await client.query(TEXT, [p.now, p.everyMs, p.limit]);
  return rowCount;
}
