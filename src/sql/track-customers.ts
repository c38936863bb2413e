import type { SqlClient } from './client.js';

// Starts (or resumes) tracking the given ids, in one statement: new ids are inserted, ids no
// longer tracked are tracked again (their history kept). Returns how many were not tracked.

export async function trackCustomers(client: SqlClient, customerIds: readonly string[]): Promise<number> {
  const { rows } = await client.query<{ added: number }>(
    `WITH input AS (SELECT DISTINCT unnest($1::text[]) AS customer_id),
     inserted AS (
       INSERT INTO tracked_customers (customer_id) SELECT customer_id FROM input
       ON CONFLICT (customer_id) DO NOTHING RETURNING customer_id
     ),
     resumed AS (
       UPDATE tracked_customers t SET active = true FROM input i
       WHERE t.customer_id = i.customer_id AND NOT t.active RETURNING t.customer_id
     )
     SELECT ((SELECT count(*) FROM inserted) + (SELECT count(*) FROM resumed))::int AS added`,
    [customerIds],
  );
  return rows[0]?.added ?? 0;
}
