import type { SqlClient } from './client.js';

// Alerts refused for good, newest first.

export interface FailedAlert {
  id: bigint;
  kind: string;
  customerId: string | null;
  lastError: string | null;
  detectedAt: Date;
}

export async function failedAlerts(client: SqlClient, limit: number): Promise<FailedAlert[]> {
  const { rows } = await client.query<Omit<FailedAlert, 'id'> & { id: string }>(
    `SELECT id::text AS id, kind, customer_id AS "customerId", last_error AS "lastError", detected_at AS "detectedAt"
     FROM alerts AS a WHERE a.status = 'failed' ORDER BY a.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ ...r, id: BigInt(r.id) }));
}
