import type { SqlClient } from './client.js';
import { silenceCovers } from './silence-match.js';

// Adds a silence and, in the same statement, a `silenced` entry in the timeline of each
// unresolved case it covers; returns its id, or null when the customer was never tracked.

export interface NewSilence {
  customerId: string;
  purpose: string | null;
  documentType: string | null;
  documentName: string | null;
  startsAt: Date;
  endsAt: Date;
  by: string;
  reason: string;
}

const TEXT = `
WITH silence AS (
  INSERT INTO silences (customer_id, purpose, document_type, document_name, starts_at, ends_at, created_by, reason)
  SELECT customer_id, $2, $3, $4, $5, $6, $7, $8 FROM tracked_customers WHERE customer_id = $1
  RETURNING *
), timeline AS (
  INSERT INTO case_events (case_id, at, kind, actor, details)
  SELECT c.id, s.starts_at, 'silenced', s.created_by, jsonb_build_object('silenceId', s.id, 'until', s.ends_at, 'reason', s.reason)
  FROM silence AS s JOIN cases AS c ON ${silenceCovers('s', 'c')}
  WHERE c.state <> 'resolved'
  ORDER BY c.id
)
SELECT id::text AS id FROM silence`;

export async function insertSilence(client: SqlClient, s: NewSilence): Promise<string | null> {
  const { rows } = await client.query<{ id: string }>(TEXT, [s.customerId, s.purpose, s.documentType, s.documentName, s.startsAt, s.endsAt, s.by, s.reason]);
  return rows[0]?.id ?? null;
}
