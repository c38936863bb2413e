import type { SqlClient } from './client.js';

// Hands claimed alerts back untouched: their batch window is still open, or the pass ran out of time.

export interface ReleaseAlertsParams {
  token: string;
  ids: readonly bigint[];
}

const TEXT = `UPDATE alerts SET claim_token = NULL, claimed_until = NULL WHERE id = ANY($2::bigint[]) AND claim_token = $1::uuid`;

export async function releaseAlerts(client: SqlClient, p: ReleaseAlertsParams): Promise<number> {
  if (p.ids.length === 0) return 0;
  const { rowCount } = await client.query(TEXT, [p.token, p.ids.map(String)]);
  return rowCount;
}
