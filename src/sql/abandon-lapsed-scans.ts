import type { SqlClient } from './client.js';
import type { ScanRow } from './scan-row.js';

// Running scans whose lease ran out (no process worked on them for the lease time: theirs
// died, or every worker stopped) are abandoned: they end as interrupted (SPEC §3's four statuses),
// with the totals they really reached and why in their error.

export async function abandonLapsedScans(client: SqlClient): Promise<ScanRow[]> {
  const { rows } = await client.query<ScanRow>(
    `UPDATE scans SET status = 'interrupted', running_slot = NULL, finished_at = now(),
            error = 'abandoned: no process worked on it for longer than its lease (its process stopped)'
     WHERE status = 'running' AND lease_until < now()
     RETURNING *`,
  );
  return rows;
}
