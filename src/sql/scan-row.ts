import type { ScanStatus, ScanSummary, ScanTrigger } from '../domain/scan.js';

// A row of `scans` as the statements return it (`RETURNING *`), and its summary.

export interface ScanRow {
  id: string;
  trigger: ScanTrigger;
  trigger_key: string | null;
  status: ScanStatus;
  started_at: Date;
  finished_at: Date | null;
  lease_until: Date;
  cursor: string | null;
  /** A tick's scan (trigger `continuous`): the customers it checks; empty for other scans. */
  selection: string[];
  enumerated: boolean;
  batches_total: number;
  batches_done: number;
  customers: number;
  checked: number;
  failed: number;
  changes: number;
  alerts: number;
  failure_reasons: Record<string, number>;
  streak_customers: string[] | null;
  streak_customers_count: number;
  error: string | null;
}

export function toSummary(row: ScanRow): ScanSummary {
  return {
    scanId: row.id,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    customers: row.customers,
    checked: row.checked,
    failed: row.failed,
    changes: row.changes,
    alerts: row.alerts,
    error: row.error,
    failureReasons: row.failure_reasons,
    streakCustomers: row.streak_customers ?? [],
    streakCustomersCount: row.streak_customers_count,
  };
}
