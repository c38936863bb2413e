import type { SqlClient } from './client.js';
import { activeSilenceFor } from './silence-match.js';

// Claims pending alerts for one delivery pass in one statement (Graphile Worker's getJobs): the
// oldest due alerts that no other pass holds are locked, skipping rows another transaction has
// locked, and reserved with a lease. An alert whose claimer died is claimable again once its
// lease has run out. Each row comes with the recipients it is still owed, and whether its event
// was a customer's first check (the email says "already expired when first checked" then).
// Alerts about a document an active silence matches (document alerts, reminders, escalations)
// are not claimed: they are held until the silence ends.

export interface ClaimAlertsParams {
  /** Names this claim: every later statement of the pass acts only on alerts it still holds. */
  token: string;
  now: Date;
  /** End of the lease. */
  until: Date;
  limit: number;
  /** Only alerts with a greater id: one pass never takes an alert twice. */
  afterId: bigint;
  /** Take alerts whose retry time has not come (a person asking for delivery now). */
  ignoreBackoff: boolean;
}

export interface ClaimedAlertRow {
  id: string;
  kind: string;
  customer_id: string | null;
  purpose: string | null;
  document_type: string | null;
  document_name: string | null;
  previous_status: string | null;
  new_status: string | null;
  verification_response: string | null;
  /** `YYYY-MM-DD`: the document's expiry date when the alert was raised. */
  expires_on: string | null;
  /** The case the alert opened or joined (document alerts). */
  case_id: string | null;
  /** When its case opened (reminders and escalations give each case's age). */
  case_opened_at: Date | null;
  /** The state of that case now. */
  case_state: string | null;
  /** The silence that held the alert when it was raised. */
  silence_id: string | null;
  /** The alert's event was at the customer's baseline (false for operations alerts). */
  baseline: boolean;
  subject: string | null;
  body: string | null;
  detected_at: Date;
  attempts: number;
  /** False until a pass has fanned the alert out to its recipients. */
  routed: boolean;
  /** Recipients whose delivery is still pending, sorted. */
  owed: string[];
}

const TEXT = `
WITH due AS MATERIALIZED (
  SELECT id FROM alerts
  WHERE status = 'pending'
    AND id > $5::bigint
    AND ($6::boolean OR next_attempt_at <= $2::timestamptz)
    AND (claimed_until IS NULL OR claimed_until < $2::timestamptz)
    AND (kind = 'ops' OR NOT EXISTS (${activeSilenceFor('alerts', 'document_name', '$2::timestamptz')}))
  ORDER BY id
  LIMIT $4::int
  FOR UPDATE SKIP LOCKED
)
UPDATE alerts AS a
SET claim_token = $1::uuid, claimed_until = $3::timestamptz
FROM due
WHERE a.id = due.id
RETURNING a.id, a.kind, a.customer_id, a.purpose, a.document_type, a.document_name, a.previous_status,
  a.new_status, a.verification_response, a.expires_on::text AS expires_on, a.case_id,
  (SELECT c.opened_at FROM cases AS c WHERE c.id = a.case_id) AS case_opened_at,
  (SELECT c.state FROM cases AS c WHERE c.id = a.case_id) AS case_state,
  a.silence_id::text AS silence_id,
  COALESCE((SELECT e.baseline FROM document_events AS e WHERE e.id = a.event_id), false) AS baseline,
  a.subject, a.body, a.detected_at, a.attempts,
  a.routed_at IS NOT NULL AS routed,
  ARRAY(SELECT d.recipient FROM alert_deliveries AS d WHERE d.alert_id = a.id AND d.status = 'pending' ORDER BY d.recipient) AS owed`;

export async function claimAlerts(client: SqlClient, p: ClaimAlertsParams): Promise<ClaimedAlertRow[]> {
  const { rows } = await client.query<ClaimedAlertRow>(TEXT, [p.token, p.now, p.until, p.limit, p.afterId.toString(), p.ignoreBackoff]);
  return rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}
