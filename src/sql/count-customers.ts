import type { SqlClient } from './client.js';

// How many customers are tracked, how many failed their last check, and how checking keeps up
// (`status`, /metrics): checks in the last hour, the oldest last check (never-checked customers
// count from when they were tracked), how many were never checked and how many are due now
// (continuous mode). One pass over the tracked customers.

export interface CustomerCounts {
  tracked: number;
  failing: number;
  checksLastHour: number;
  /** Where the longest wait of any tracked customer began; null when none is tracked. */
  oldestCheckAt: Date | null;
  neverChecked: number;
  dueNow: number;
}

export async function countCustomers(client: SqlClient): Promise<CustomerCounts> {
  const { rows } = await client.query<CustomerCounts>(
    `SELECT count(*)::int AS tracked,
            (count(*) FILTER (WHERE last_outcome = 'failed'))::int AS failing,
            (count(*) FILTER (WHERE last_checked_at > now() - interval '1 hour'))::int AS "checksLastHour",
            min(coalesce(last_checked_at, added_at)) AS "oldestCheckAt",
            (count(*) FILTER (WHERE last_checked_at IS NULL))::int AS "neverChecked",
            (count(*) FILTER (WHERE due_at <= now()))::int AS "dueNow"
     FROM tracked_customers WHERE active`,
  );
  return rows[0] ?? { tracked: 0, failing: 0, checksLastHour: 0, oldestCheckAt: null, neverChecked: 0, dueNow: 0 };
}
