import type { SqlClient } from './client.js';

// Tracked customers without a successful check since `before` (counted from when they were
// tracked if they never had one), the longest-stale first: the first `limit`, and how many.

export async function staleCustomers(client: SqlClient, before: Date, limit: number): Promise<{ ids: string[]; count: number }> {
  const { rows } = await client.query<{ customer_id: string; total: number }>(
    `SELECT customer_id, (count(*) OVER ())::int AS total
     FROM tracked_customers
     WHERE active AND coalesce(last_ok_at, added_at) < $1::timestamptz
     ORDER BY coalesce(last_ok_at, added_at), customer_id
     LIMIT $2::int`,
    [before, limit],
  );
  return { ids: rows.map((r) => r.customer_id), count: rows[0]?.total ?? 0 };
}
