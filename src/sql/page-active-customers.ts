import type { SqlClient } from './client.js';

// Tracked ids after `after` in id order (the (active, customer_id) index): a scan pages through
// them, never holding them all.

export async function pageActiveCustomers(client: SqlClient, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await client.query<{ customer_id: string }>(
    `SELECT customer_id FROM tracked_customers
     WHERE active AND ($1::text IS NULL OR customer_id > $1)
     ORDER BY customer_id LIMIT $2`,
    [after, limit],
  );
  return rows.map((r) => r.customer_id);
}
