import type { FinishedStatus } from '../domain/scan.js';
import type { SqlClient } from './client.js';
import type { ScanRow } from './scan-row.js';

// Ends a running scan once: null when it had already ended (another replica got there first).

export async function finishScan(client: SqlClient, scanId: string, status: FinishedStatus, error: string | null): Promise<ScanRow | null> {
  const { rows } = await client.query<ScanRow>(
    `UPDATE scans SET status = $2, running_slot = NULL, finished_at = now(), error = $3
     WHERE id = $1::uuid AND status = 'running'
     RETURNING *`,
    [scanId, status, error],
  );
  return rows[0] ?? null;
}
