import type { SqlClient } from './client.js';

// Extends the lease of the alerts a pass still holds (before each email it sends).

export interface RenewAlertClaimParams {
  token: string;
  ids: readonly bigint[];
  until: Date;
}

const TEXT = `UPDATE alerts SET claimed_until = $3::timestamptz WHERE id = ANY($2::bigint[]) AND claim_token = $1::uuid`;

export async function renewAlertClaim(client: SqlClient, p: RenewAlertClaimParams): Promise<number> {
  if (p.ids.length === 0) return 0;
  const { rowCount } = await client.query(TEXT, [p.token, p.ids.map(String), p.until]);
  return rowCount;
}
