import { randomUUID } from 'node:crypto';
import { failedAlerts, type FailedAlert } from '../sql/failed-alerts.js';
import { failedDeliveries, type FailedDelivery } from '../sql/failed-deliveries.js';
import { outboxCounts, type OutboxCounts } from '../sql/outbox-counts.js';
import type { Database } from '../store/database.js';
import { claimAlerts, type ClaimedAlertRow } from '../sql/claim-alerts.js';
import { recordDeliveries, type AlertStatus, type DeliveryStatus } from '../sql/record-deliveries.js';
import { releaseAlerts } from '../sql/release-alerts.js';
import { renewAlertClaim } from '../sql/renew-alert-claim.js';
import { routeAlerts } from '../sql/route-alerts.js';
import { endIncidents, raiseIncident, type Incident } from './incidents.js';
import { cancelAlerts } from '../sql/cancel-alerts.js';
import { holdOpenCases } from '../sql/hold-open-cases.js';
import { queueEscalations } from '../sql/queue-escalations.js';
import { queueReminders } from '../sql/queue-reminders.js';
import { queueSummary } from '../sql/queue-summary.js';
import { summaryDueSince } from '../sql/summary-due-since.js';

// The alert outbox, delivery side: claim alerts with a lease, fan each out to its recipients once,
// record what the SMTP server did per recipient, hand back what was not sent. Every statement
// after the claim acts only on alerts the claim still holds (its token).

export type { AlertStatus, DeliveryStatus } from '../sql/record-deliveries.js';

export interface OutboxAlert {
  id: bigint;
  kind: string;
  customerId: string | null;
  purpose: string | null;
  documentType: string | null;
  documentName: string | null;
  previousStatus: string | null;
  newStatus: string | null;
  verificationResponse: string | null;
  /** `YYYY-MM-DD`: the document's expiry date when the alert was raised. */
  expiresOn: string | null;
  /** The case it opened or joined (document alerts; null for operations alerts). */
  caseId: bigint | null;
  /** When that case opened. */
  caseOpenedAt: Date | null;
  /** That case's state now. */
  caseState: string | null;
  /** The silence the alert was raised under (held until it ended). */
  silenceId: bigint | null;
  /** Raised at the customer's first check (its event's `baseline`). */
  baseline: boolean;
  subject: string | null;
  body: string | null;
  detectedAt: Date;
  attempts: number;
  /** False until a delivery pass has fanned the alert out to its recipients. */
  routed: boolean;
  /** Recipients still owed the alert, sorted (empty until routed). */
  owed: readonly string[];
}

export interface Claim {
  token: string;
  alerts: OutboxAlert[];
}

export interface ClaimOptions {
  limit: number;
  leaseMs: number;
  now: Date;
  /** Only alerts with a greater id (the pass's previous claims). */
  afterId?: bigint;
  /** A person asking for delivery now: retry backoff does not apply. */
  ignoreBackoff?: boolean;
}

export interface RecipientOutcome {
  recipient: string;
  status: DeliveryStatus;
  error: string | null;
  messageId: string | null;
}

export interface SendRecord {
  alertIds: readonly bigint[];
  /** One per recipient the email was for. */
  outcomes: readonly RecipientOutcome[];
  at: Date;
  retryAt: Date;
  error: string | null;
  messageId: string | null;
}

export type { OutboxCounts } from '../sql/outbox-counts.js';
export type { FailedAlert } from '../sql/failed-alerts.js';
export type { FailedDelivery } from '../sql/failed-deliveries.js';

function toAlert(row: ClaimedAlertRow): OutboxAlert {
  return {
    id: BigInt(row.id),
    kind: row.kind,
    customerId: row.customer_id,
    purpose: row.purpose,
    documentType: row.document_type,
    documentName: row.document_name,
    previousStatus: row.previous_status,
    newStatus: row.new_status,
    verificationResponse: row.verification_response,
    expiresOn: row.expires_on,
    caseId: row.case_id === null ? null : BigInt(row.case_id),
    caseOpenedAt: row.case_opened_at,
    caseState: row.case_state,
    silenceId: row.silence_id === null ? null : BigInt(row.silence_id),
    baseline: row.baseline,
    subject: row.subject,
    body: row.body,
    detectedAt: row.detected_at,
    attempts: row.attempts,
    routed: row.routed,
    owed: row.owed,
  };
}

/** Most reminders (and escalations) queued by one look: the rest are queued by the next. */
const FOLLOW_UP_LIMIT = 5_000;

export class OutboxStore {
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` pending alerts, oldest first, for `leaseMs`: due ones, or all with
   * `ignoreBackoff`. Alerts another pass holds, or whose rows another transaction has locked,
   * are skipped, so concurrent passes claim disjoint alerts and never wait on each other.
   */
  async claim(options: ClaimOptions): Promise<Claim> {
    const token = randomUUID();
    const rows = await this.db.withClient((c) =>
      claimAlerts(c, {
        token,
        now: options.now,
        until: new Date(options.now.getTime() + options.leaseMs),
        limit: options.limit,
        afterId: options.afterId ?? 0n,
        ignoreBackoff: options.ignoreBackoff ?? false,
      }),
    );
    return { token, alerts: rows.map(toAlert) };
  }

  /** Fans claimed, not yet routed alerts out to these recipients (once per alert). */
  async route(token: string, routes: ReadonlyArray<{ alertId: bigint; recipients: readonly string[] }>, at: Date): Promise<void> {
    const pairs = routes.flatMap((r) => r.recipients.map((recipient) => ({ alertId: r.alertId, recipient })));
    await this.db.withClient((c) => routeAlerts(c, { token, alertIds: pairs.map((p) => p.alertId), recipients: pairs.map((p) => p.recipient), at }));
  }

  /** Keeps these claimed alerts reserved until `until`. */
  async renew(token: string, ids: readonly bigint[], until: Date): Promise<void> {
    await this.db.withClient((c) => renewAlertClaim(c, { token, ids, until }));
  }

  /** Records one email's outcome per recipient and settles its alerts; returns each alert's status. */
  async record(token: string, record: SendRecord): Promise<Map<bigint, AlertStatus>> {
    const rows = await this.db.withClient((c) =>
      recordDeliveries(c, {
        token,
        alertIds: record.alertIds,
        recipients: record.outcomes.map((o) => o.recipient),
        statuses: record.outcomes.map((o) => o.status),
        errors: record.outcomes.map((o) => o.error),
        messageIds: record.outcomes.map((o) => o.messageId),
        at: record.at,
        retryAt: record.retryAt,
        error: record.error,
        messageId: record.messageId,
      }),
    );
    return new Map(rows.map((r) => [BigInt(r.id), r.status]));
  }

  /**
   * Queues the reminders and escalations due at `now` (SPEC §10), at most `limit` of each;
   * returns how many of each. Safe to run on every replica at once.
   */
  async queueFollowUps(now: Date, policy: { remindEveryMs: number; escalateAfterMs: number }, limit = FOLLOW_UP_LIMIT): Promise<{ reminders: number; escalations: number }> {
    const reminders = policy.remindEveryMs > 0 ? await this.db.withClient((c) => queueReminders(c, { now, everyMs: policy.remindEveryMs, limit })) : 0;
    const escalations = policy.escalateAfterMs > 0 ? await this.db.withClient((c) => queueEscalations(c, { now, afterMs: policy.escalateAfterMs, limit })) : 0;
    return { reminders, escalations };
  }

  /**
   * Runs `send` while the still-open cases among `caseIds` are held (FOR SHARE): an
   * acknowledgement or resolution of one of them waits until `send` is done.
   */
  async whileCasesHeld<T>(caseIds: readonly bigint[], send: (open: ReadonlySet<bigint>) => Promise<T>): Promise<T> {
    return this.db.withTransaction(async (c) => send(await holdOpenCases(c, caseIds)));
  }

  /** Cancels claimed reminders or escalations whose case no longer wants them. */
  async cancel(token: string, alertIds: readonly bigint[], reason: string): Promise<number> {
    return this.db.withClient((c) => cancelAlerts(c, { token, alertIds, reason }));
  }

  /** Queues a summary email as of `now` (`today`: its date in SCAN_TIMEZONE); false when one with this key exists. */
  async queueSummary(now: Date, today: string, dedupeKey: string, alertStatuses: readonly string[]): Promise<boolean> {
    return this.db.withClient((c) => queueSummary(c, { now, today, dedupeKey, alertStatuses }));
  }

  /** See `summaryDueSince` (src/sql/summary-due-since.ts). */
  async summaryDueSince(): Promise<Date | null> {
    return this.db.withClient((c) => summaryDueSince(c));
  }

  /** Hands claimed alerts back untouched. */
  async release(token: string, ids: readonly bigint[]): Promise<void> {
    await this.db.withClient((c) => releaseAlerts(c, { token, ids }));
  }

  /** See `raiseIncident` (./incidents.ts). */
  async raiseIncident(incident: Incident): Promise<boolean> {
    return this.db.withClient((c) => raiseIncident(c, incident));
  }

  /** See `endIncidents` (./incidents.ts). */
  async endIncidents(kinds: readonly string[]): Promise<string[]> {
    return this.db.withClient((c) => endIncidents(c, kinds));
  }

  /** Alerts by status, and deliveries refused for good. */
  async counts(): Promise<OutboxCounts> {
    return this.db.withClient((c) => outboxCounts(c));
  }

  async listFailed(limit: number): Promise<FailedAlert[]> {
    return this.db.withClient((c) => failedAlerts(c, limit));
  }

  /** Recipients refused for good (5xx), newest first, with the alert each was refused. */
  async listFailedDeliveries(limit: number): Promise<FailedDelivery[]> {
    return this.db.withClient((c) => failedDeliveries(c, limit));
  }
}
