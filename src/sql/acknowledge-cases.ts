import type { SqlClient } from './client.js';

// Acknowledges the given cases that are still open, with the timeline entry, in one statement;
// returns the ids it acknowledged. A case acknowledged or resolved already is left as it is (two
// people acknowledging at once: the row lock lets one of them do it).

export interface AcknowledgeParams {
  ids: readonly bigint[];
  at: Date;
  by: string;
  note: string | null;
  /** Where it was done: `cli` or `web` (the email's link). */
  via: string;
}

const TEXT = `
WITH acked AS (
  UPDATE cases SET state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3
  WHERE id = ANY($1::bigint[]) AND state = 'open'
  RETURNING id
), timeline AS (
  INSERT INTO case_events (case_id, at, kind, actor, details)
  SELECT id, $2, 'acknowledged', $3, jsonb_strip_nulls(jsonb_build_object('note', $4::text, 'via', $5::text)) FROM acked ORDER BY id
)
SELECT id::text AS id FROM acked`;

export async function acknowledgeCases(client: SqlClient, p: AcknowledgeParams): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(TEXT, [p.ids.map(String), p.at, p.by, p.note, p.via]);
  return rows.map((r) => r.id);
}
