import type { SqlClient } from './client.js';

// Settles claimed reminders or escalations that lost their reason before they went out (their
// case acknowledged, resolved or silenced): `cancelled`, released, never sent. Acts only on
// alerts the claim still holds.

export async function cancelAlerts(client: SqlClient, p: { token: string; alertIds: readonly bigint[]; reason: string }): Promise<number> {
  if (p.alertIds.length === 0) return 0;
  const { rowCount } = await client.query(
    `UPDATE alerts SET status = 'cancelled', last_error = $3, claim_token = NULL, claimed_until = NULL
     WHERE id = ANY($2::bigint[]) AND claim_token = $1::uuid AND kind IN ('reminder', 'escalation') AND status = 'pending'`,
    [p.token, p.alertIds.map(String), p.reason],
  );
  return rowCount;
}
