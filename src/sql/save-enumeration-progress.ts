import type { SqlClient } from './client.js';

// How far a scan has paged through the tracked ids (a scan handed to another replica resumes
// from the cursor), and whether every batch is then done.

export interface EnumerationProgress {
  cursor: string | null;
  batchesTotal: number;
  customers: number;
  enumerated: boolean;
}

export async function saveEnumerationProgress(client: SqlClient, scanId: string, leaseMs: number, p: EnumerationProgress): Promise<{ running: boolean; complete: boolean }> {
  const { rows } = await client.query<{ running: boolean; complete: boolean }>(
    `UPDATE scans
     SET cursor = $2, batches_total = $3, customers = $4, enumerated = $5,
         lease_until = CASE WHEN status = 'running' THEN greatest(lease_until, now() + $6 * interval '1 millisecond') ELSE lease_until END
     WHERE id = $1::uuid
     RETURNING status = 'running' AS running, status = 'running' AND enumerated AND batches_done >= batches_total AS complete`,
    [scanId, p.cursor, p.batchesTotal, p.customers, p.enumerated, leaseMs],
  );
  return rows[0] ?? { running: false, complete: false };
}
