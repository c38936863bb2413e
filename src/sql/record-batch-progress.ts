import type { SqlClient } from './client.js';

// Adds what part of a batch wrote to its scan's totals, in the transaction that wrote it (so a
// batch run again after a crash counts only what it really did the second time), renews the
// scan's lease, and counts the batch as done once when `batchDone` (a batch's last write).

export interface BatchProgress {
  checked: number;
  failed: number;
  changes: number;
  alerts: number;
  /** Failed checks by reason. */
  failureReasons: Readonly<Record<string, number>>;
  /** Customers whose consecutive failures just reached the streak. */
  streakCustomers: readonly string[];
  batchDone: boolean;
}

/** Customer ids kept in a scan's failing-streak list; the count goes on. */
export const STREAK_CUSTOMERS_LISTED = 1000;

export async function recordBatchProgress(client: SqlClient, scanId: string, batchNo: number, leaseMs: number, p: BatchProgress): Promise<{ complete: boolean }> {
  const { rows } = await client.query<{ complete: boolean }>(
    `WITH done AS (
       INSERT INTO scan_batches (scan_id, batch_no) SELECT $1::uuid, $2 WHERE $3
       ON CONFLICT DO NOTHING RETURNING 1
     )
     UPDATE scans AS s
     SET checked = s.checked + $4,
         failed = s.failed + $5,
         changes = s.changes + $6,
         alerts = s.alerts + $7,
         failure_reasons = (
           SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
           FROM (SELECT k, sum(v)::int AS n
                 FROM (SELECT key AS k, value::int AS v FROM jsonb_each_text(s.failure_reasons)
                       UNION ALL SELECT key, value::int FROM jsonb_each_text($8::jsonb)) AS parts
                 GROUP BY k) AS merged),
         streak_customers = (coalesce(s.streak_customers, '{}') || $9::text[])[1:${STREAK_CUSTOMERS_LISTED}],
         streak_customers_count = s.streak_customers_count + cardinality($9::text[]),
         batches_done = s.batches_done + (SELECT count(*) FROM done),
         lease_until = CASE WHEN s.status = 'running' THEN greatest(s.lease_until, now() + $10 * interval '1 millisecond') ELSE s.lease_until END
     WHERE s.id = $1::uuid
     RETURNING s.status = 'running' AND s.enumerated AND s.batches_done >= s.batches_total AS complete`,
    [scanId, batchNo, p.batchDone, p.checked, p.failed, p.changes, p.alerts, JSON.stringify(p.failureReasons), p.streakCustomers, leaseMs],
  );
  return { complete: rows[0]?.complete ?? false };
}
