import type { SqlClient } from './client.js';

// One customer's error for a reason a scan failed for, to show in the operations alert.

export async function exampleFailure(client: SqlClient, scanId: string, reason: string): Promise<string | null> {
  const { rows } = await client.query<{ last_error: string | null }>(
    `SELECT last_error FROM tracked_customers
     WHERE last_scan_id = $1::uuid AND last_outcome = 'failed' AND last_failure_reason = $2
     LIMIT 1`,
    [scanId, reason],
  );
  return rows[0]?.last_error ?? null;
}
