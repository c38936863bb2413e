import type { SqlClient } from './client.js';
import { activeSilenceFor } from './silence-match.js';

// Queues an escalation (an outbox row of kind `escalation`) for each case still open `afterMs`
// after it opened and not escalated yet (SPEC §10: once per case), marking it escalated in the
// same statement, so that replicas running it at once queue one. Returns how many it queued.

const TEXT = `
WITH due AS (
  SELECT id FROM cases
  WHERE state = 'open' AND NOT EXISTS (${activeSilenceFor('cases', 'document_name', '$1::timestamptz')}) AND escalated_at IS NULL
    AND opened_at <= $1::timestamptz - $2::bigint * interval '1 millisecond'
  ORDER BY opened_at, id
  LIMIT $3::int
  FOR UPDATE SKIP LOCKED
), escalated AS (
  UPDATE cases AS c SET escalated_at = $1::timestamptz FROM due WHERE c.id = due.id
  RETURNING c.id, c.customer_id, c.purpose, c.document_type, c.document_name, c.document_status
)
INSERT INTO alerts (kind, customer_id, case_id, purpose, document_type, document_name, new_status, detected_at)
SELECT 'escalation', customer_id, id, purpose, document_type, document_name, document_status, $1::timestamptz FROM escalated ORDER BY id`;

export async function queueEscalations(client: SqlClient, p: { now: Date; afterMs: number; limit: number }): Promise<number> {
  const { rowCount } = await client.query(TEXT, [p.now, p.afterMs, p.limit]);
  return rowCount;
}
