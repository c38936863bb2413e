import type { SqlClient } from './client.js';

// A process working on a running scan keeps it from being taken for dead.

export async function renewScanLease(client: SqlClient, scanId: string, leaseMs: number): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE scans SET lease_until = greatest(lease_until, now() + $2 * interval '1 millisecond') WHERE id = $1::uuid AND status = 'running'`,
    [scanId, leaseMs],
  );
  return rowCount === 1;
}
