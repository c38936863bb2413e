import type { SqlClient } from './client.js';

// Silences, newest first: the active ones at `now`, or all (`--all`, with ended and removed ones).

export interface SilenceRow {
  id: string;
  customer_id: string;
  purpose: string | null;
  document_type: string | null;
  document_name: string | null;
  starts_at: Date;
  ends_at: Date;
  created_by: string;
  reason: string;
  removed_at: Date | null;
  removed_by: string | null;
}

export async function listSilences(client: SqlClient, p: { now: Date; all: boolean; limit: number }): Promise<SilenceRow[]> {
  const { rows } = await client.query<SilenceRow>(
    `SELECT s.id::text AS id, s.customer_id, s.purpose, s.document_type, s.document_name, s.starts_at, s.ends_at, s.created_by, s.reason, s.removed_at, s.removed_by
     FROM silences AS s
     WHERE $2::boolean OR (s.removed_at IS NULL AND s.starts_at <= $1::timestamptz AND s.ends_at > $1::timestamptz)
     ORDER BY s.id DESC LIMIT $3::int`,
    [p.now, p.all, p.limit],
  );
  return rows;
}
