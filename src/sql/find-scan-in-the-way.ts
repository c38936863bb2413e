import type { SqlClient } from './client.js';
import type { ScanRow } from './scan-row.js';

// Why a scan could not be inserted: the scan its trigger already made, or else the running one.

export async function findScanInTheWay(client: SqlClient, triggerKey: string | null): Promise<{ found: 'same-trigger' | 'running'; scan: ScanRow } | null> {
  const { rows } = await client.query<ScanRow & { found: 'same-trigger' | 'running' }>(
    `SELECT 'same-trigger' AS found, * FROM scans WHERE $1::text IS NOT NULL AND trigger_key = $1
     UNION ALL
     SELECT 'running' AS found, * FROM scans WHERE status = 'running'
     LIMIT 1`,
    [triggerKey],
  );
  const row = rows[0];
  if (!row) return null;
  const { found, ...scan } = row;
  return { found, scan };
}
