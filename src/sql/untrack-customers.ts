import type { SqlClient } from './client.js';

// Stops tracking the given ids (snapshots and history are kept) and resolves their unresolved
// cases as `untracked`, with the timeline entry, in one statement; returns the ids that were
// tracked.

const TEXT = `
WITH untracked AS (
  UPDATE tracked_customers SET active = false WHERE customer_id = ANY($1::text[]) AND active RETURNING customer_id
), resolved AS (
  UPDATE cases AS c SET state = 'resolved', resolution = 'untracked', resolved_at = $2, resolved_by = 'system'
  FROM untracked AS u WHERE c.customer_id = u.customer_id AND c.state <> 'resolved'
  RETURNING c.id
), timeline AS (
  INSERT INTO case_events (case_id, at, kind, actor, details)
  SELECT id, $2, 'resolved', 'system', '{"resolution": "untracked"}'::jsonb FROM resolved ORDER BY id
)
SELECT customer_id FROM untracked`;

export async function untrackCustomers(client: SqlClient, customerIds: readonly string[], at: Date): Promise<string[]> {
  const { rows } = await client.query<{ customer_id: string }>(TEXT, [customerIds, at]);
  return rows.map((r) => r.customer_id);
}
