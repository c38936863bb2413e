import type { SqlClient } from './client.js';

// Recipients refused for good (5xx), newest first, with the alert each was refused.

export interface FailedDelivery {
  alertId: bigint;
  kind: string;
  customerId: string | null;
  recipient: string;
  error: string | null;
  failedAt: Date;
}

export async function failedDeliveries(client: SqlClient, limit: number): Promise<FailedDelivery[]> {
  const { rows } = await client.query<Omit<FailedDelivery, 'alertId'> & { alertId: string }>(
    `SELECT d.alert_id::text AS "alertId", a.kind, a.customer_id AS "customerId", d.recipient, d.last_error AS error, d.updated_at AS "failedAt"
     FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE d.status = 'failed' ORDER BY d.updated_at DESC, d.alert_id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ ...r, alertId: BigInt(r.alertId) }));
}
