import type { DocumentChange } from '../domain/status-diff.js';
import type { SqlClient } from './client.js';
import { columns } from './columns.js';
import { activeSilenceFor } from './silence-match.js';

// The audit trail, the outbox and the cases in one statement: every event of the write, an
// alert for each one that raises it, naming its event, and for each alert its case (SPEC §10) —
// the unresolved case of the document's identity, opened if there is none — with the timeline
// entries that say so. Event ids are drawn in document order, so that `history` lists a check's
// events in the order the API returned the documents; a case's `opened` entry precedes its
// `alert` entries. An alert raised while a silence matches its document names the silence: it
// is held until the silence ends (the claim skips it).

export interface EventRow extends Omit<DocumentChange, 'reappeared'> {
  customerId: string;
  /** The event raises an alert (written to the outbox with it). */
  alerting: boolean;
}

const TEXT = `
WITH e AS MATERIALIZED (
  SELECT nextval(pg_get_serial_sequence('document_events', 'id')) AS id, u.*
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean[], $13::boolean[], $14::date[])
       WITH ORDINALITY AS u(customer_id, kind, purpose, document_type, name, location_key, previous_status, new_status, verification_response, baseline, alerting, expires_on, ord)
  ORDER BY u.ord
), events AS (
  INSERT INTO document_events (id, customer_id, scan_id, kind, purpose, document_type, name, location_key, previous_status, new_status, verification_response, expires_on, baseline, detected_at)
  SELECT id, customer_id, $1::uuid, kind, purpose, document_type, name, location_key, previous_status, new_status, verification_response, expires_on, baseline, $2 FROM e
), identities AS (
  -- One row per document identity (duplicates of one identity share a case), with the status of its last alert.
  SELECT DISTINCT ON (customer_id, purpose, document_type, name) customer_id, purpose, document_type, name, new_status, expires_on
  FROM e WHERE alerting
  ORDER BY customer_id, purpose, document_type, name, ord DESC
), cased AS (
  INSERT INTO cases AS c (customer_id, purpose, document_type, document_name, document_status, expires_on, opened_at, last_alert_at)
  SELECT customer_id, purpose, document_type, name, new_status, expires_on, $2, $2 FROM identities
  ON CONFLICT (customer_id, purpose, document_type, document_name) WHERE state <> 'resolved'
  DO UPDATE SET document_status = excluded.document_status, expires_on = excluded.expires_on, last_alert_at = excluded.last_alert_at
  RETURNING c.id, c.customer_id, c.purpose, c.document_type, c.document_name, (c.xmax = 0) AS opened
), alerted AS (
  INSERT INTO alerts (kind, customer_id, event_id, scan_id, purpose, document_type, document_name, previous_status, new_status, verification_response, expires_on, detected_at, case_id, silence_id)
  SELECT 'document', e.customer_id, e.id, $1::uuid, e.purpose, e.document_type, e.name, e.previous_status, e.new_status, e.verification_response, e.expires_on, $2, cased.id,
         (${activeSilenceFor('e', 'name', '$2::timestamptz')} ORDER BY s.ends_at DESC, s.id LIMIT 1)
  FROM e JOIN cased ON cased.customer_id = e.customer_id AND cased.purpose = e.purpose AND cased.document_type = e.document_type AND cased.document_name = e.name
  WHERE e.alerting
  RETURNING id, case_id, event_id, previous_status, new_status, silence_id
)
INSERT INTO case_events (case_id, at, kind, actor, alert_id, details)
SELECT t.case_id, $2, t.kind, 'system', t.alert_id, t.details
FROM (
  SELECT id AS case_id, 0 AS step, 0::bigint AS alert_id_order, 'opened' AS kind, NULL::bigint AS alert_id, '{}'::jsonb AS details FROM cased WHERE opened
  UNION ALL
  SELECT case_id, 1, id, 'alert', id,
         jsonb_build_object('eventId', event_id::text, 'previousStatus', previous_status, 'newStatus', new_status)
           || CASE WHEN silence_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('silenceId', silence_id) END
  FROM alerted
) AS t
ORDER BY t.case_id, t.step, t.alert_id_order`;

export async function insertEventsAndAlerts(client: SqlClient, scanId: string | null, at: Date, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(TEXT, [
    scanId,
    at,
    ...columns(rows, ['customerId', 'kind', 'purpose', 'documentType', 'name', 'locationKey', 'previousStatus', 'newStatus', 'verificationResponse', 'baseline', 'alerting', 'expiresOn']),
  ]);
}
