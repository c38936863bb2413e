import type { CaseState } from '../domain/cases.js';
import type { SqlClient } from './client.js';
import { CASE_COLUMNS, type CaseRow } from './case-row.js';

// One page of cases in the given states, oldest first (keyset: opened_at, id), optionally of
// one customer.

export interface ListCasesParams {
  states: readonly CaseState[];
  customerId: string | null;
  /** The last case of the previous page. */
  after: { openedAt: Date; id: string } | null;
  limit: number;
}

const TEXT = `
SELECT ${CASE_COLUMNS}
FROM cases AS c
WHERE c.state = ANY($1::text[])
  AND ($2::text IS NULL OR c.customer_id = $2::text)
  AND ($3::timestamptz IS NULL OR (c.opened_at, c.id) > ($3::timestamptz, $4::bigint))
ORDER BY c.opened_at, c.id
LIMIT $5::int`;

export async function listCases(client: SqlClient, p: ListCasesParams): Promise<CaseRow[]> {
  const { rows } = await client.query<CaseRow>(TEXT, [p.states, p.customerId, p.after?.openedAt ?? null, p.after?.id ?? null, p.limit]);
  return rows;
}
