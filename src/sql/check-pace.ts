import type { SqlClient } from './client.js';

// How checking keeps up (`status`, /metrics): checks in the last hour, the oldest last check of
// a tracked customer (never-checked ones count from when they were tracked), and how many are
// due now (continuous mode). One pass over the tracked customers.

export interface CheckPace {
  checksLastHour: number;
  /** The longest any tracked customer has gone unchecked began here; null when none is tracked. */
  oldestCheckAt: Date | null;
  neverChecked: number;
  dueNow: number;
}

export async function checkPace(client: SqlClient): Promise<CheckPace> {
  const { rows } = await client.query<{ checks_last_hour: number; oldest_check_at: Date | null; never_checked: number; due_now: number }>(
    `SELECT (count(*) FILTER (WHERE last_checked_at > now() - interval '1 hour'))::int AS checks_last_hour,
            min(coalesce(last_checked_at, added_at)) AS oldest_check_at,
            (count(*) FILTER (WHERE last_checked_at IS NULL))::int AS never_checked,
            (count(*) FILTER (WHERE due_at <= now()))::int AS due_now
     FROM tracked_customers WHERE active`,
  );
  const row = rows[0];
  return { checksLastHour: row?.checks_last_hour ?? 0, oldestCheckAt: row?.oldest_check_at ?? null, neverChecked: row?.never_checked ?? 0, dueNow: row?.due_now ?? 0 };
}
