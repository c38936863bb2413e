import type { DocumentChange } from '../domain/status-diff.js';
import type { SqlClient } from './client.js';
import { columns } from './columns.js';

// The audit trail and the outbox in one statement: every event of the write, and an alert for
// each one that raises it, naming its event. Event ids are drawn in document order, so that
// `history` lists a check's events in the order the API returned the documents.

export interface EventRow extends Omit<DocumentChange, 'reappeared'> {
  customerId: string;
  /** The event raises an alert (written to the outbox with it). */
  alerting: boolean;
}

export async function insertEventsAndAlerts(client: SqlClient, scanId: string | null, at: Date, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `WITH e AS MATERIALIZED (
       SELECT nextval(pg_get_serial_sequence('document_events', 'id')) AS id, u.*
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean[], $13::boolean[])
            WITH ORDINALITY AS u(customer_id, kind, purpose, document_type, name, location_key, previous_status, new_status, verification_response, baseline, alerting, ord)
       ORDER BY u.ord
     ), events AS (
       INSERT INTO document_events (id, customer_id, scan_id, kind, purpose, document_type, name, location_key, previous_status, new_status, verification_response, baseline, detected_at)
       SELECT id, customer_id, $1::uuid, kind, purpose, document_type, name, location_key, previous_status, new_status, verification_response, baseline, $2 FROM e
     )
     INSERT INTO alerts (kind, customer_id, event_id, scan_id, purpose, document_type, document_name, previous_status, new_status, verification_response, detected_at)
     SELECT 'document', customer_id, id, $1::uuid, purpose, document_type, name, previous_status, new_status, verification_response, $2 FROM e WHERE alerting`,
    [
      scanId,
      at,
      ...columns(rows, ['customerId', 'kind', 'purpose', 'documentType', 'name', 'locationKey', 'previousStatus', 'newStatus', 'verificationResponse', 'baseline', 'alerting']),
    ],
  );
}
