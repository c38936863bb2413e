import type { SqlClient } from './client.js';
import { CASE_COLUMNS, type CaseRow } from './case-row.js';

// The cases with the given ids (those that exist), by id.

export async function getCases(client: SqlClient, ids: readonly bigint[]): Promise<CaseRow[]> {
  const { rows } = await client.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases AS c WHERE c.id = ANY($1::bigint[]) ORDER BY c.id`, [ids.map(String)]);
  return rows;
}
