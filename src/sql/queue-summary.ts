import type { SqlClient } from './client.js';

// Queues one summary email (SPEC §12) in one statement: its figures, for the period since the
// previous summary ended (or since the first customer was tracked), computed as of `now` and
// stored as JSON with the outbox row. `dedupeKey` names the schedule tick (or the person's
// request): replicas queueing the same tick at once queue one. Returns whether it queued.

const TEXT = `
WITH period AS (
  SELECT coalesce(
           (SELECT max((body::jsonb ->> 'periodEnd')::timestamptz) FROM alerts WHERE kind = 'summary'),
           (SELECT min(added_at) FROM tracked_customers),
           $1::timestamptz) AS start,
         $1::timestamptz AS stop
), figures AS (
  SELECT jsonb_build_object(
    'periodStart', p.start, 'periodEnd', p.stop,
    'scansCompleted', (SELECT count(*) FROM scans WHERE status = 'completed' AND finished_at >= p.start AND finished_at < p.stop),
    'scansFailed', (SELECT count(*) FROM scans WHERE status = 'failed' AND finished_at >= p.start AND finished_at < p.stop),
    'scansInterrupted', (SELECT count(*) FROM scans WHERE status IN ('interrupted', 'abandoned') AND finished_at >= p.start AND finished_at < p.stop),
    'customersTracked', (SELECT count(*) FROM tracked_customers WHERE active),
    'customersChecked', (SELECT count(*) FROM tracked_customers WHERE active AND last_checked_at >= p.start),
    'customersNeverChecked', (SELECT count(*) FROM tracked_customers WHERE active AND baseline_at IS NULL),
    'customersFailing', (SELECT count(*) FROM tracked_customers WHERE active AND last_outcome = 'failed'),
    'changes', (SELECT count(*) FROM document_events WHERE detected_at >= p.start AND detected_at < p.stop),
    'alerts', (SELECT count(*) FROM alerts WHERE kind = 'document' AND detected_at >= p.start AND detected_at < p.stop),
    'casesOpened', (SELECT count(*) FROM cases WHERE opened_at >= p.start AND opened_at < p.stop),
    'casesAcknowledged', (SELECT count(*) FROM cases WHERE acknowledged_at >= p.start AND acknowledged_at < p.stop),
    'casesResolved', (SELECT count(*) FROM cases WHERE resolved_at >= p.start AND resolved_at < p.stop),
    'unresolvedByPurpose', (
      SELECT coalesce(jsonb_agg(x ORDER BY x.purpose), '[]'::jsonb) FROM (
        SELECT purpose,
               count(*) FILTER (WHERE opened_at > p.stop - interval '1 day') AS "underOneDay",
               count(*) FILTER (WHERE opened_at <= p.stop - interval '1 day' AND opened_at > p.stop - interval '7 days') AS "oneToSevenDays",
               count(*) FILTER (WHERE opened_at <= p.stop - interval '7 days') AS "overSevenDays"
        FROM cases WHERE state <> 'resolved' GROUP BY purpose) AS x),
    'unacknowledged', (SELECT count(*) FROM cases WHERE state = 'open'),
    'oldestUnacknowledged', (
      SELECT coalesce(jsonb_agg(o ORDER BY o."openedAt", o.id), '[]'::jsonb) FROM (
        SELECT id, customer_id AS "customerId", purpose, document_type AS "documentType", document_name AS "documentName",
               document_status AS "documentStatus", opened_at AS "openedAt"
        FROM cases WHERE state = 'open' ORDER BY opened_at, id LIMIT 20) AS o),
    'expiringWithin30Days', (
      SELECT count(*) FROM document_snapshots AS s JOIN tracked_customers AS t ON t.customer_id = s.customer_id
      WHERE t.active AND s.removed_at IS NULL AND s.expires_on BETWEEN $2::date AND $2::date + 30
        AND lower(btrim(s.status)) <> ALL($4::text[])),
    'alertsPending', (SELECT count(*) FROM alerts WHERE status = 'pending' AND kind <> 'summary'),
    'alertsFailed', (SELECT count(*) FROM alerts WHERE status = 'failed')
  ) AS body
  FROM period AS p
)
INSERT INTO alerts (kind, body, dedupe_key, detected_at)
SELECT 'summary', body::text, $3, $1::timestamptz FROM figures
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id`;

/** `alertStatuses`: ALERT_STATUSES, as statusKey gives them: documents in one of them are not counted as expiring. */
export async function queueSummary(client: SqlClient, p: { now: Date; today: string; dedupeKey: string; alertStatuses: readonly string[] }): Promise<boolean> {
  const { rowCount } = await client.query(TEXT, [p.now, p.today, p.dedupeKey, p.alertStatuses]);
  return rowCount === 1;
}
