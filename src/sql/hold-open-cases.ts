import type { SqlClient } from './client.js';

// Of the given cases, those still open, locked (FOR SHARE) until the caller's transaction ends:
// a reminder or escalation is sent while its cases are held, so that an acknowledgement waits
// for the send and none goes out after an acknowledgement is recorded.

export async function holdOpenCases(client: SqlClient, caseIds: readonly bigint[]): Promise<Set<bigint>> {
  const { rows } = await client.query<{ id: string }>(`SELECT id::text AS id FROM cases WHERE id = ANY($1::bigint[]) AND state = 'open' FOR SHARE`, [caseIds.map(String)]);
  return new Set(rows.map((r) => BigInt(r.id)));
}
