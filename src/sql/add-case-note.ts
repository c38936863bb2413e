import type { SqlClient } from './client.js';

// Adds a person's note to a case's timeline; false when the case does not exist.

export async function addCaseNote(client: SqlClient, p: { id: bigint; at: Date; by: string; note: string }): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO case_events (case_id, at, kind, actor, details)
     SELECT id, $2, 'note', $3, jsonb_build_object('note', $4::text) FROM cases WHERE id = $1::bigint`,
    [String(p.id), p.at, p.by, p.note],
  );
  return rowCount === 1;
}
