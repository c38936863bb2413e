import type { SqlClient } from './client.js';

// Records undocumented values (API drift) the first time each (field, value) is seen; returns
// those that were new, each with the customer it was seen at.

export interface UnknownValueRow {
  field: string;
  value: string;
  customerId: string;
}

export async function recordUnknownValues(client: SqlClient, rows: readonly UnknownValueRow[], at: Date): Promise<UnknownValueRow[]> {
  if (rows.length === 0) return [];
  const { rows: inserted } = await client.query<{ field: string; value: string; customer_id: string }>(
    `INSERT INTO unknown_values (field, value, customer_id, first_seen_at)
     SELECT u.field, u.value, u.customer_id, $4::timestamptz FROM unnest($1::text[], $2::text[], $3::text[]) AS u(field, value, customer_id)
     ON CONFLICT (field, value) DO NOTHING
     RETURNING field, value, customer_id`,
    [rows.map((r) => r.field), rows.map((r) => r.value), rows.map((r) => r.customerId), at],
  );
  return inserted.map((r) => ({ field: r.field, value: r.value, customerId: r.customer_id }));
}
