import type { SqlClient } from './client.js';

// Settles claimed alerts that lost their reason before they went out: reminders or escalations
// whose case was acknowledged, resolved or silenced, and alerts held by a silence whose case
// resolved meanwhile (SPEC §10). `cancelled`, released, never sent. Acts only on alerts the
// claim still holds.

export async function cancelAlerts(client: SqlClient, p: { token: string; alertIds: readonly bigint[]; reason: string }): Promise<number> {
  if (p.alertIds.length === 0) return 0;
  const { rowCount } = await client.query(
    `UPDATE alerts SET status = 'cancelled', last_error = $3, claim_token = NULL, claimed_until = NULL
     WHERE id = ANY($2::bigint[]) AND claim_token = $1::uuid AND (kind IN ('reminder', 'escalation') OR silence_id IS NOT NULL) AND status = 'pending'`,
    [p.token, p.alertIds.map(String), p.reason],
  );
  return rowCount;
}
