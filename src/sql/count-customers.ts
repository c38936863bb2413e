import type { SqlClient } from './client.js';

// How many customers are tracked, and how many of them failed their last check.

export async function countCustomers(client: SqlClient): Promise<{ tracked: number; failing: number }> {
  const { rows } = await client.query<{ tracked: number; failing: number }>(
    `SELECT count(*)::int AS tracked, (count(*) FILTER (WHERE last_outcome = 'failed'))::int AS failing
     FROM tracked_customers WHERE active`,
  );
  return rows[0] ?? { tracked: 0, failing: 0 };
}
