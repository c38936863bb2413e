// What a scan is to its users (SPEC §3, §6): how it was triggered, how it ended, its totals,
// and the rule that tells a failed scan from a completed one.

/** `continuous`: a continuous-mode tick's scan of the customers then due (SCAN_MODE=continuous). */
export type ScanTrigger = 'schedule' | 'catch-up' | 'manual' | 'continuous';
/** SPEC §3: a scan whose process died ends `interrupted` too (abandoned, its error says). */
export type ScanStatus = 'running' | 'completed' | 'failed' | 'interrupted';
export type FinishedStatus = Exclude<ScanStatus, 'running'>;

export interface ScanSummary {
  scanId: string;
  trigger: ScanTrigger;
  status: ScanStatus;
  startedAt: Date;
  finishedAt: Date | null;
  customers: number;
  checked: number;
  failed: number;
  changes: number;
  alerts: number;
  error: string | null;
  /** Failed checks by reason (`unreachable`, `http-404` …). */
  failureReasons: Readonly<Record<string, number>>;
  /** Customers whose consecutive failures reached the streak in this scan (the first 1,000). */
  streakCustomers: readonly string[];
  streakCustomersCount: number;
}

/** Consecutive failed scans of a customer that make an operations alert. */
export const FAILURE_STREAK = 3;

export type Verdict = { status: 'completed' } | { status: 'failed'; reason: string; failed: number; attempted: number };

/**
 * A scan in which every check failed, or at least two thirds of them for one reason (the API
 * unreachable, a wrong base URL answering 404 …), did not do its job: it is a failed scan, not
 * a completed one with many failed customers.
 */
export function scanVerdict(totals: { checked: number; failed: number; failureReasons: Readonly<Record<string, number>> }): Verdict {
  const attempted = totals.checked + totals.failed;
  if (attempted === 0 || totals.failed === 0) return { status: 'completed' };
  const [reason, count] = Object.entries(totals.failureReasons).reduce<[string, number]>((top, entry) => (entry[1] > top[1] ? entry : top), ['unknown', 0]);
  if (totals.failed === attempted || count * 3 >= attempted * 2) return { status: 'failed', reason, failed: totals.failed, attempted };
  return { status: 'completed' };
}
