import type { SqlClient } from './client.js';

// Where the summary schedule's due ticks start (SPEC §12).

/** When the last scheduled summary was queued, else when the first customer was tracked: the schedule's ticks after it are due. */
export async function summaryDueSince(client: SqlClient): Promise<Date | null> {
  const { rows } = await client.query<{ since: Date | null }>(
    `SELECT coalesce(
       (SELECT max(detected_at) FROM alerts WHERE kind = 'summary' AND dedupe_key LIKE 'summary:tick:%'),
       (SELECT min(added_at) FROM tracked_customers)) AS since`,
  );
  return rows[0]?.since ?? null;
}
