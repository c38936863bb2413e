import type { SqlClient } from './client.js';

// The evidence (SPEC §10), as one time-ordered query read through a cursor: every document event,
// every entry of every case's timeline (alert, email, reminder, escalation, acknowledgement,
// note, silence, resolution …), every expiry warning and the emails that carried it, and every
// silence added or removed, in a period, optionally of
// one customer. At one instant, a document event comes before the case entries it caused, and a
// silence added or removed before the entries it made in the cases' timelines. Run inside a read-only, repeatable-read transaction: one consistent snapshot
// however long the export takes; rows are fetched a page at a time, so memory stays flat.

export interface EvidenceFilter {
  /** Inclusive. */
  from: Date | null;
  /** Exclusive. */
  to: Date | null;
  customerId: string | null;
}

export interface EvidenceRow {
  at: Date;
  kind: string;
  customer_id: string;
  purpose: string | null;
  document_type: string | null;
  document_name: string | null;
  case_id: string | null;
  actor: string;
  details: Record<string, unknown>;
}

const IN_PERIOD = (column: string) => `($1::timestamptz IS NULL OR ${column} >= $1::timestamptz) AND ($2::timestamptz IS NULL OR ${column} < $2::timestamptz)`;
const OF_CUSTOMER = (column: string) => `($3::text IS NULL OR ${column} = $3::text)`;

const TEXT = `
SELECT at, kind, customer_id, purpose, document_type, document_name, case_id, actor, details FROM (
  SELECT e.detected_at AS at, 0 AS source, e.id, e.kind, e.customer_id, e.purpose, e.document_type, e.name AS document_name,
         a.case_id::text AS case_id, 'system'::text AS actor,
         jsonb_strip_nulls(jsonb_build_object('eventId', e.id::text, 'previousStatus', e.previous_status, 'newStatus', e.new_status,
           'verificationResponse', e.verification_response, 'baseline', e.baseline, 'scanId', e.scan_id, 'locationKey', e.location_key, 'expiresOn', e.expires_on)) AS details
  FROM document_events AS e LEFT JOIN alerts AS a ON a.event_id = e.id
  WHERE ${IN_PERIOD('e.detected_at')} AND ${OF_CUSTOMER('e.customer_id')}
  UNION ALL
  SELECT ce.at, 3, ce.id, ce.kind, c.customer_id, c.purpose, c.document_type, c.document_name, c.id::text, ce.actor,
         ce.details || CASE WHEN ce.alert_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('alertId', ce.alert_id::text) END
  FROM case_events AS ce JOIN cases AS c ON c.id = ce.case_id
  WHERE ${IN_PERIOD('ce.at')} AND ${OF_CUSTOMER('c.customer_id')}
  UNION ALL
  -- Expiry warnings (SPEC §11) belong to no case: the warning, and each email that carried it.
  SELECT a.detected_at, 4, a.id, 'expiry_warning', a.customer_id, a.purpose, a.document_type, a.document_name, NULL, 'system',
         jsonb_build_object('alertId', a.id::text, 'status', a.previous_status, 'expiresOn', a.expires_on, 'thresholdDays', a.subject::int)
  FROM alerts AS a
  WHERE a.kind = 'expiring' AND ${IN_PERIOD('a.detected_at')} AND ${OF_CUSTOMER('a.customer_id')}
  UNION ALL
  SELECT d.sent_at, 5, a.id, 'warning_email', a.customer_id, a.purpose, a.document_type, a.document_name, NULL, 'system',
         jsonb_build_object('alertId', a.id::text, 'recipients', jsonb_agg(d.recipient ORDER BY d.recipient), 'messageId', min(d.message_id))
  FROM alerts AS a JOIN alert_deliveries AS d ON d.alert_id = a.id
  WHERE a.kind = 'expiring' AND d.status = 'sent' AND ${IN_PERIOD('d.sent_at')} AND ${OF_CUSTOMER('a.customer_id')}
  GROUP BY d.sent_at, a.id
  UNION ALL
  SELECT s.starts_at, 1, s.id, 'silence_added', s.customer_id, s.purpose, s.document_type, s.document_name, NULL, s.created_by,
         jsonb_build_object('silenceId', s.id::text, 'until', s.ends_at, 'reason', s.reason)
  FROM silences AS s
  WHERE ${IN_PERIOD('s.starts_at')} AND ${OF_CUSTOMER('s.customer_id')}
  UNION ALL
  SELECT s.removed_at, 2, s.id, 'silence_removed', s.customer_id, s.purpose, s.document_type, s.document_name, NULL, s.removed_by,
         jsonb_build_object('silenceId', s.id::text)
  FROM silences AS s
  WHERE s.removed_at IS NOT NULL AND ${IN_PERIOD('s.removed_at')} AND ${OF_CUSTOMER('s.customer_id')}
) AS evidence
ORDER BY at, source, id`;

/** Opens the export's cursor `name` in the caller's transaction; read it with `fetchEvidence`. */
export async function declareEvidenceCursor(client: SqlClient, name: string, filter: EvidenceFilter): Promise<void> {
  if (!/^[a-z_]+$/.test(name)) throw new RangeError(`cursor name ${name}`);
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${TEXT}`, [filter.from, filter.to, filter.customerId]);
}

export async function fetchEvidence(client: SqlClient, name: string, count: number): Promise<EvidenceRow[]> {
  if (!/^[a-z_]+$/.test(name)) throw new RangeError(`cursor name ${name}`);
  const { rows } = await client.query<EvidenceRow>(`FETCH FORWARD ${Math.trunc(count)} FROM ${name}`);
  return rows;
}
