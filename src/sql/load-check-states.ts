import type { SqlClient } from './client.js';

// The state a batch's checks start from, for its customers in id order, together with whether
// its scan still runs. Each customer's stored documents (live and removed) arrive aggregated
// into one JSON text, but only while the running total of documents stays within
// `maxDocuments`: the customers after that come without documents (`loaded` false) and are
// asked for again, so that a batch of customers with thousands of documents each is loaded in
// slices of bounded size.

export interface CheckStateRow {
  customer_id: string;
  active: boolean;
  baseline_at: Date | null;
  snapshot_version: number;
  last_scan_id: string | null;
  empty_pending: boolean;
  loaded: boolean;
  /** JSON array of [purpose, documentType, name, locationKey, status, verificationResponse, position, removed, expiresOn, warnedDays]. */
  documents: string | null;
}

export interface LoadCheckStatesResult {
  /** False when the scan is no longer running (completed, failed or interrupted). */
  scanRunning: boolean;
  rows: CheckStateRow[];
}

export async function loadCheckStates(client: SqlClient, scanId: string | null, customerIds: readonly string[], maxDocuments: number): Promise<LoadCheckStatesResult> {
  const { rows } = await client.query<CheckStateRow & { scan_running: boolean | null }>(
    `WITH c AS (
       SELECT t.customer_id, t.active, t.baseline_at, t.snapshot_version, t.last_scan_id, t.empty_pending,
              coalesce(sum(t.document_count) OVER (ORDER BY t.customer_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
              t.document_count
       FROM tracked_customers t
       WHERE t.customer_id = ANY($2::text[])
     ), l AS (
       SELECT c.*, (c.before = 0 OR c.before + c.document_count <= $3) AS loaded FROM c
     )
     SELECT l.customer_id, l.active, l.baseline_at, l.snapshot_version, l.last_scan_id, l.empty_pending, l.loaded,
            (SELECT json_agg(json_build_array(s.purpose, s.document_type, s.name, s.location_key, s.status, s.verification_response, s.position, s.removed_at IS NOT NULL, s.expires_on, s.warned_days)
                             ORDER BY s.removed_at NULLS FIRST, s.position)::text
             FROM document_snapshots s WHERE l.loaded AND s.customer_id = l.customer_id) AS documents,
            ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM scans s WHERE s.id = $1::uuid AND s.status = 'running')) AS scan_running
     FROM l
     ORDER BY l.customer_id`,
    [scanId, customerIds, maxDocuments],
  );
  const scanRunning = scanId === null || (rows[0]?.scan_running ?? (await isScanRunning(client, scanId)));
  return { scanRunning, rows };
}

async function isScanRunning(client: SqlClient, scanId: string): Promise<boolean> {
  const { rows } = await client.query<{ running: boolean }>(`SELECT EXISTS (SELECT 1 FROM scans WHERE id = $1::uuid AND status = 'running') AS running`, [scanId]);
  return rows[0]?.running ?? false;
}
