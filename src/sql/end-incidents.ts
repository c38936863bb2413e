import type { SqlClient } from './client.js';

// Ends the open incidents of these kinds: the next one of a kind is a new incident, with its own
// operations alert.

export interface EndIncidentsParams {
  kinds: readonly string[];
}

const TEXT = `UPDATE ops_incidents SET ended_at = now() WHERE ended_at IS NULL AND kind = ANY($1::text[]) RETURNING kind`;

/** The kinds that had an open incident. */
export async function endIncidents(client: SqlClient, p: EndIncidentsParams): Promise<string[]> {
  if (p.kinds.length === 0) return [];
  const { rows } = await client.query<{ kind: string }>(TEXT, [[...new Set(p.kinds)]]);
  return rows.map((r) => r.kind);
}
