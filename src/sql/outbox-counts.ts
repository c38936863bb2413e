import type { SqlClient } from './client.js';

import { activeSilenceFor } from './silence-match.js';

// Alerts in the outbox by status (with the pending ones a silence holds), and recipients refused for good.

export interface OutboxCounts {
  pending: number;
  failed: number;
  sent: number;
  /** Of the pending ones, those an active silence holds (SPEC §10). */
  held: number;
  /** Deliveries refused for good (5xx), one per alert and recipient. */
  failedDeliveries: number;
}

export async function outboxCounts(client: SqlClient): Promise<OutboxCounts> {
  const { rows } = await client.query<OutboxCounts>(
    `SELECT (count(*) FILTER (WHERE status = 'pending'))::int AS pending,
            (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
            (count(*) FILTER (WHERE status = 'sent'))::int AS sent,
            (SELECT count(*) FROM alerts AS h WHERE h.status = 'pending' AND h.kind <> 'ops' AND EXISTS (${activeSilenceFor('h', 'document_name', 'now()')}))::int AS held,
            (SELECT count(*) FROM alert_deliveries WHERE status = 'failed')::int AS "failedDeliveries"
     FROM alerts`,
  );
  return rows[0] ?? { pending: 0, failed: 0, sent: 0, held: 0, failedDeliveries: 0 };
}
