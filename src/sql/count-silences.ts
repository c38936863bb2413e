import type { SqlClient } from './client.js';

// Silences active at `now`, for `status`.

export async function countActiveSilences(client: SqlClient, now: Date): Promise<number> {
  const { rows } = await client.query<{ active: number }>(
    `SELECT count(*)::int AS active FROM silences WHERE removed_at IS NULL AND starts_at <= $1::timestamptz AND ends_at > $1::timestamptz`,
    [now],
  );
  return rows[0]?.active ?? 0;
}
