import type { SqlClient } from './client.js';

// A person resolves the given unresolved cases (`manual`), with the timeline entry and their
// note, in one statement; returns the ids it resolved. A resolved case is left as it is.

export interface ResolveManuallyParams {
  ids: readonly bigint[];
  at: Date;
  by: string;
  note: string;
}

const TEXT = `
WITH done AS (
  UPDATE cases SET state = 'resolved', resolution = 'manual', resolved_at = $2, resolved_by = $3
  WHERE id = ANY($1::bigint[]) AND state <> 'resolved'
  RETURNING id
), timeline AS (
  INSERT INTO case_events (case_id, at, kind, actor, details)
  SELECT id, $2, 'resolved', $3, jsonb_build_object('resolution', 'manual', 'note', $4::text) FROM done ORDER BY id
)
SELECT id::text AS id FROM done`;

export async function resolveCasesManually(client: SqlClient, p: ResolveManuallyParams): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(TEXT, [p.ids.map(String), p.at, p.by, p.note]);
  return rows.map((r) => r.id);
}
