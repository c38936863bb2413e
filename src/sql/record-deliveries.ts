import type { SqlClient } from './client.js';

// Records what the SMTP server did with one email, in one statement: each recipient's delivery of
// each alert in it becomes sent, failed (refused for good) or stays pending (refused for now, or
// the email not accepted at all), and each alert is settled from all its deliveries — `pending`
// (retried at `retryAt`) while a recipient is still owed it, else `sent` or `failed` — and
// released; the case of each alert delivered gets an `email` entry in its timeline. The
// sub-statements of one statement share a snapshot: `tally` reads the deliveries as they were
// and overlays the rows `marked` changed.

export type DeliveryStatus = 'pending' | 'sent' | 'failed';
export type AlertStatus = 'pending' | 'sent' | 'failed';

export interface RecordDeliveriesParams {
  token: string;
  alertIds: readonly bigint[];
  /** One entry per recipient of the email, in the same order in each array. */
  recipients: readonly string[];
  statuses: readonly DeliveryStatus[];
  errors: readonly (string | null)[];
  messageIds: readonly (string | null)[];
  at: Date;
  /** Next attempt for alerts still owed to someone. */
  retryAt: Date;
  /** What went wrong, for the alerts' `last_error` (null when nothing did). */
  error: string | null;
  /** The alerts' `message_id`: the first message the server accepted. */
  messageId: string | null;
}

export interface RecordedAlertRow {
  id: string;
  status: AlertStatus;
}

const TEXT = `
WITH outcome AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS o(recipient, status, error, message_id)
),
marked AS (
  UPDATE alert_deliveries AS d
  SET status = o.status,
      attempts = d.attempts + 1,
      last_error = o.error,
      sent_at = CASE WHEN o.status = 'sent' THEN $7::timestamptz ELSE d.sent_at END,
      message_id = CASE WHEN o.status = 'sent' THEN o.message_id ELSE d.message_id END,
      updated_at = $7::timestamptz
  FROM outcome AS o, alerts AS a
  WHERE d.alert_id = ANY($2::bigint[]) AND d.recipient = o.recipient AND d.status = 'pending'
    AND a.id = d.alert_id AND a.claim_token = $1::uuid
  RETURNING d.alert_id, d.recipient, d.status, d.message_id
),
delivered AS (
  SELECT a.case_id, a.id, a.kind, jsonb_agg(m.recipient ORDER BY m.recipient) AS recipients, min(m.message_id) AS message_id
  FROM marked AS m JOIN alerts AS a ON a.id = m.alert_id
  WHERE m.status = 'sent' AND a.case_id IS NOT NULL
  GROUP BY a.case_id, a.id, a.kind
),
emailed AS (
  -- Each case's timeline says which email carried it — its alert (\`email\`), a reminder, an
  -- escalation — to whom, with the message id (SPEC §10): once per recipient, since only
  -- deliveries still pending are marked.
  INSERT INTO case_events (case_id, at, kind, actor, alert_id, details)
  SELECT case_id, $7::timestamptz, CASE kind WHEN 'document' THEN 'email' ELSE kind END, 'system', id,
         jsonb_build_object('recipients', recipients, 'messageId', message_id)
  FROM delivered ORDER BY case_id, id
),
last_emailed AS (
  -- The team's last email about the case (reminders are counted from it); an escalation goes to others.
  UPDATE cases AS c SET last_emailed_at = $7::timestamptz
  FROM (SELECT DISTINCT case_id FROM delivered WHERE kind IN ('document', 'reminder')) AS d
  WHERE c.id = d.case_id AND (c.last_emailed_at IS NULL OR c.last_emailed_at < $7::timestamptz)
),
tally AS (
  SELECT d.alert_id,
         count(*) FILTER (WHERE coalesce(m.status, d.status) = 'pending') AS owed,
         count(*) FILTER (WHERE coalesce(m.status, d.status) = 'failed') AS failed
  FROM alert_deliveries AS d
  LEFT JOIN marked AS m ON m.alert_id = d.alert_id AND m.recipient = d.recipient
  WHERE d.alert_id = ANY($2::bigint[])
  GROUP BY d.alert_id
)
UPDATE alerts AS a
SET status = CASE WHEN t.owed > 0 THEN 'pending' WHEN t.failed > 0 THEN 'failed' ELSE 'sent' END,
    attempts = a.attempts + 1,
    next_attempt_at = CASE WHEN t.owed > 0 THEN $8::timestamptz ELSE a.next_attempt_at END,
    last_error = CASE WHEN t.owed = 0 AND t.failed = 0 THEN NULL ELSE coalesce($9::text, a.last_error) END,
    sent_at = CASE WHEN t.owed = 0 AND t.failed = 0 THEN $7::timestamptz ELSE a.sent_at END,
    message_id = coalesce($10::text, a.message_id),
    claim_token = NULL,
    claimed_until = NULL
FROM tally AS t
WHERE a.id = t.alert_id AND a.claim_token = $1::uuid
RETURNING a.id, a.status`;

export async function recordDeliveries(client: SqlClient, p: RecordDeliveriesParams): Promise<RecordedAlertRow[]> {
  const n = p.recipients.length;
  if (p.statuses.length !== n || p.errors.length !== n || p.messageIds.length !== n) {
    throw new RangeError(`recordDeliveries: arrays of different lengths (${n} recipients)`);
  }
  if (p.alertIds.length === 0) return [];
  const { rows } = await client.query<RecordedAlertRow>(TEXT, [
    p.token,
    p.alertIds.map(String),
    p.recipients,
    p.statuses,
    p.errors,
    p.messageIds,
    p.at,
    p.retryAt,
    p.error,
    p.messageId,
  ]);
  return rows;
}
