import type { SqlClient } from './client.js';

// Unresolved cases by state, and the oldest one still open (unacknowledged), for `status`.

export interface CaseCountsRow {
  open: number;
  acknowledged: number;
  oldest_open_id: string | null;
  oldest_open_at: Date | null;
}

export async function countCases(client: SqlClient): Promise<CaseCountsRow> {
  const { rows } = await client.query<CaseCountsRow>(`
    SELECT count(*) FILTER (WHERE state = 'open')::int AS open,
           count(*) FILTER (WHERE state = 'acknowledged')::int AS acknowledged,
           (SELECT id::text FROM cases WHERE state = 'open' ORDER BY opened_at, id LIMIT 1) AS oldest_open_id,
           (SELECT opened_at FROM cases WHERE state = 'open' ORDER BY opened_at, id LIMIT 1) AS oldest_open_at
    FROM cases WHERE state <> 'resolved'`);
  return rows[0] as CaseCountsRow;
}
