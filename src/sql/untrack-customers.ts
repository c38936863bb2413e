import type { SqlClient } from './client.js';

// Stops tracking the given ids (snapshots and history are kept); returns those that were tracked.

export async function untrackCustomers(client: SqlClient, customerIds: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ customer_id: string }>(
    `UPDATE tracked_customers SET active = false WHERE customer_id = ANY($1::text[]) AND active RETURNING customer_id`,
    [customerIds],
  );
  return rows.map((r) => r.customer_id);
}
