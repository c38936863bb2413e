import type { SqlClient } from './client.js';
import { activeSilenceFor } from './silence-match.js';

// Of the given cases, those still open and not silenced, locked (FOR SHARE) until the caller's
// transaction ends: a reminder or escalation is sent while its cases are held, so that an
// acknowledgement waits for the send and none goes out after an acknowledgement is recorded.

export async function holdOpenCases(client: SqlClient, caseIds: readonly bigint[]): Promise<Set<bigint>> {
  const { rows } = await client.query<{ id: string }>(`SELECT c.id::text AS id FROM cases AS c
     WHERE c.id = ANY($1::bigint[]) AND c.state = 'open' AND NOT EXISTS (${activeSilenceFor('c', 'document_name', 'now()')})
     FOR SHARE OF c`, [caseIds.map(String)]);
  return new Set(rows.map((r) => BigInt(r.id)));
}
