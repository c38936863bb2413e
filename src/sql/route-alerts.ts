import type { SqlClient } from './client.js';

// Fans claimed alerts out to their recipients, once: one pending delivery per (alert, recipient),
// taken from the routing configuration of this moment. An alert already routed is left alone.

export interface RouteAlertsParams {
  token: string;
  /** One entry per (alert, recipient) pair: `alertIds[i]` goes to `recipients[i]`. */
  alertIds: readonly bigint[];
  recipients: readonly string[];
  at: Date;
}

const TEXT = `
WITH routed AS (
  UPDATE alerts SET routed_at = $4::timestamptz
  WHERE id = ANY($2::bigint[]) AND claim_token = $1::uuid AND routed_at IS NULL
  RETURNING id
)
INSERT INTO alert_deliveries (alert_id, recipient, updated_at)
SELECT r.alert_id, r.recipient, $4::timestamptz
FROM unnest($2::bigint[], $3::text[]) AS r(alert_id, recipient)
JOIN routed ON routed.id = r.alert_id
ON CONFLICT DO NOTHING`;

export async function routeAlerts(client: SqlClient, p: RouteAlertsParams): Promise<number> {
  if (p.alertIds.length !== p.recipients.length) throw new RangeError(`routeAlerts: ${p.alertIds.length} alert ids for ${p.recipients.length} recipients`);
  if (p.alertIds.length === 0) return 0;
  const { rowCount } = await client.query(TEXT, [p.token, p.alertIds.map(String), p.recipients, p.at]);
  return rowCount;
}
