import type { ScanTrigger } from '../domain/scan.js';
import type { SqlClient } from './client.js';
import type { ScanRow } from './scan-row.js';

// A new running scan, unless one is running (the unique `running_slot`) or its trigger already
// made one (the unique `trigger_key`): the database decides, whoever asks at the same moment.

export async function insertScan(client: SqlClient, id: string, trigger: ScanTrigger, triggerKey: string | null, leaseMs: number): Promise<ScanRow | null> {
  const { rows } = await client.query<ScanRow>(
    `INSERT INTO scans (id, trigger, trigger_key, status, running_slot, lease_until)
     VALUES ($1::uuid, $2, $3, 'running', 1, now() + $4 * interval '1 millisecond')
     ON CONFLICT DO NOTHING
     RETURNING *`,
    [id, trigger, triggerKey, leaseMs],
  );
  return rows[0] ?? null;
}
