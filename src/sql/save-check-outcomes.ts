import type { SqlClient } from './client.js';
import { columns } from './columns.js';

// The outcome of every check of a write, in one statement whatever their number: last check
// time, outcome, error and failure streak; for a changed customer also its snapshot version
// (guarded: a customer another check wrote since its state was loaded is left out), baseline,
// empty-answer mark and document count; in continuous mode when it is due next. A customer already checked by this scan (a batch run
// again) or no longer tracked is left out too. Returns the customers written.

export interface CheckOutcomeRow {
  customerId: string;
  outcome: 'ok' | 'failed';
  changed: boolean;
  /** The snapshot version the diff was computed from (changed customers only). */
  expectedVersion: number;
  baseline: boolean;
  error: string | null;
  reason: string | null;
  /** Null keeps the stored value. */
  emptyPending: boolean | null;
  documentCount: number | null;
  /** Continuous mode: when the customer is due next and how urgent; null keeps the stored values. */
  dueAt: Date | null;
  duePriority: number | null;
}

export interface WrittenOutcome {
  customer_id: string;
  consecutive_failures: number;
}

export async function saveCheckOutcomes(client: SqlClient, scanId: string | null, at: Date, rows: readonly CheckOutcomeRow[]): Promise<WrittenOutcome[]> {
  if (rows.length === 0) return [];
  const result = await client.query<WrittenOutcome>(
    `UPDATE tracked_customers AS t
     SET last_checked_at = $1,
         last_outcome = w.outcome,
         last_ok_at = CASE WHEN w.outcome = 'ok' THEN $1 ELSE t.last_ok_at END,
         last_error = w.error,
         last_failure_reason = w.reason,
         consecutive_failures = CASE WHEN w.outcome = 'failed' THEN t.consecutive_failures + 1 ELSE 0 END,
         last_scan_id = $2::uuid,
         snapshot_version = t.snapshot_version + CASE WHEN w.changed THEN 1 ELSE 0 END,
         baseline_at = CASE WHEN w.baseline THEN $1 ELSE t.baseline_at END,
         empty_pending = coalesce(w.empty_pending, t.empty_pending),
         document_count = coalesce(w.document_count, t.document_count),
         due_at = coalesce(w.due_at, t.due_at),
         due_priority = coalesce(w.due_priority, t.due_priority)
     FROM unnest($3::text[], $4::text[], $5::boolean[], $6::int[], $7::boolean[], $8::text[], $9::text[], $10::boolean[], $11::int[], $12::timestamptz[], $13::smallint[])
          AS w(customer_id, outcome, changed, version, baseline, error, reason, empty_pending, document_count, due_at, due_priority)
     WHERE t.customer_id = w.customer_id
       AND t.active
       AND (NOT w.changed OR t.snapshot_version = w.version)
       AND ($2::uuid IS NULL OR t.last_scan_id IS DISTINCT FROM $2::uuid)
     RETURNING t.customer_id, t.consecutive_failures`,
    [
      at,
      scanId,
      ...columns(rows, ['customerId', 'outcome', 'changed', 'expectedVersion', 'baseline', 'error', 'reason', 'emptyPending', 'documentCount', 'dueAt', 'duePriority']),
    ],
  );
  return result.rows;
}
