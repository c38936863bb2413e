import type { SqlClient } from './client.js';
import type { ScanRow } from './scan-row.js';

export async function getScan(client: SqlClient, scanId: string): Promise<ScanRow | null> {
  const { rows } = await client.query<ScanRow>('SELECT * FROM scans WHERE id = $1::uuid', [scanId]);
  return rows[0] ?? null;
}
