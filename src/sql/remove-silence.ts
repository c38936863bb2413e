import type { SqlClient } from './client.js';
import { silenceCovers } from './silence-match.js';

// Ends a silence now, and adds an `unsilenced` entry to the timeline of each unresolved case it
// covered, in one statement. Returns what it found: removed now, ended already (expired or
// removed before: left as it is), or no such silence.

const TEXT = `
WITH found AS (
  SELECT id, removed_at IS NULL AND ends_at > $2::timestamptz AS active FROM silences WHERE id = $1::bigint FOR UPDATE
), removed AS (
  UPDATE silences AS s SET removed_at = $2, removed_by = $3 FROM found WHERE s.id = found.id AND found.active
  RETURNING s.*
), timeline AS (
  INSERT INTO case_events (case_id, at, kind, actor, details)
  SELECT c.id, $2, 'unsilenced', $3, jsonb_build_object('silenceId', s.id)
  FROM removed AS s JOIN cases AS c ON ${silenceCovers('s', 'c')}
  WHERE c.state <> 'resolved'
  ORDER BY c.id
)
SELECT CASE WHEN found.active THEN 'removed' ELSE 'ended' END AS outcome FROM found`;

export type RemoveOutcome = 'removed' | 'ended' | 'unknown';

export async function removeSilence(client: SqlClient, p: { id: bigint; at: Date; by: string }): Promise<RemoveOutcome> {
  const { rows } = await client.query<{ outcome: 'removed' | 'ended' }>(TEXT, [String(p.id), p.at, p.by]);
  return rows[0]?.outcome ?? 'unknown';
}
