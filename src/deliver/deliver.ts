import { renderAlertEmail, type AlertView } from '../domain/alert-email.js';
import type { CustomerNames } from './customer-names.js';
import type { AlertRoutes } from '../domain/recipients.js';
import { errorMessage, type Logger } from '../logger.js';
import type { AlertStatus, Claim, OutboxAlert, OutboxStore, RecipientOutcome, SendRecord } from '../outbox/store.js';
import type { Mailer, OutgoingEmail, RecipientResult, SendResult } from './mailer.js';
import { endedBySending, recipientRefused, smtpCredentialsRejected, smtpEmailRefused } from '../domain/ops-alerts.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import { chunks, groupByOwed, isDue, isFollowUp, recipientsOf, retryDelayMs, type RetryPolicy } from './plan.js';
import { renderFollowUpEmail, type FollowUpCase } from '../domain/follow-up-email.js';
import { parseSummaryFigures, renderSummaryEmail } from '../domain/summary-email.js';

// Outbox delivery: claim → fan out to recipients (once per alert) → group by the recipients still
// owed → render → send → record per recipient. A failing group never holds back another;
// recipients refused for now wait with backoff, those refused for good are reported.

export interface DeliveryOptions {
  from: string;
  to: readonly string[];
  routes: AlertRoutes;
  opsTo: readonly string[];
  batchSeconds: number;
  /**
   * How long a pass holds the alerts it claimed (ALERT_LEASE_SECONDS). Renewed before every
   * email, and every send is aborted before it runs out, so that no other pass can take the
   * alerts over while they are being sent; after a crash they are claimable this long after
   * the last renewal.
   */
  leaseMs: number;
  /** Backoff of alerts refused for now (ALERT_RETRY_BASE_SECONDS, ALERT_RETRY_MAX_SECONDS). */
  retry: RetryPolicy;
  /** Customers' names for document alert emails; without it (no Cyrexa settings) the emails show ids. */
  names?: CustomerNames | undefined;
  /** Longest wait for names, per email (default NAME_LOOKUP_MS). */
  nameLookupMs?: number;
  /** CUSTOMER_URL_TEMPLATE. */
  customerUrlTemplate?: string | undefined;
  /** ALERT_INSTRUCTIONS. */
  instructions?: string | undefined;
  /** ESCALATE_TO: who escalations go to. */
  escalateTo?: readonly string[];
  /** ESCALATE_AFTER_HOURS, for the escalation email's words. */
  escalateAfterHours?: number;
  /** Each case's link (PUBLIC_URL, LINK_SECRET), signed when the email is rendered; absent when off. */
  caseLink?: ((caseId: bigint, now: Date) => string) | undefined;
}

/** How long an email may wait for its customers' names: a name is a nicety, the email is the job. */
export const NAME_LOOKUP_MS = 3_000;

export interface DeliveryReport {
  /** Messages the SMTP server accepted. */
  emailsSent: number;
  /** Alerts now delivered to every recipient. */
  alertsSent: number;
  /** Alerts still owed to a recipient after this pass tried: retried with backoff. */
  alertsRetrying: number;
  /** Alerts no longer owed to anyone, refused for good by at least one recipient. */
  alertsFailed: number;
  /** Alerts left for later because their group's batch window is still open. */
  alertsWaiting: number;
  /** Alerts left pending, untried, because the deadline came first. */
  alertsDeferred: number;
  /** Recipients refused for good (5xx) in this pass. */
  recipientsRefused: string[];
  authenticationFailed: boolean;
  /**
   * Why emails of this pass were not accepted, each once, the first few: the mail server's
   * words or the connection's failure, scrubbed (`scan` names the cause in its summary).
   */
  errors: string[];
}

/** Distinct reasons kept in a report. */
const MAX_REPORTED_ERRORS = 3;

export interface DeliverOptions {
  /** A person asking for delivery now: every pending alert, whatever its backoff or batch window. */
  force?: boolean;
  /** Epoch ms: no SMTP wait past it (sends are aborted), the rest left pending and reported. */
  deadline?: number;
  /** A person stopping the command (SIGTERM, Ctrl-C): the send in progress is aborted, nothing more is tried. */
  signal?: AbortSignal;
}

/** Most alerts in one email; a larger group goes out in several. */
export const MAX_ALERTS_PER_EMAIL = 500;
const CLAIM_LIMIT = 5_000;
const MAX_SUMMARY_LENGTH = 1_000;
/** Less time than this left: the email is not started (it would be aborted, and its alerts backed off, for nothing). */
const MIN_SEND_MS = 1_000;
/**
 * How long the SMTP server's answer is kept trying to be recorded while the database does not
 * answer (at least; twice the claim lease when that is longer). The answer cannot be asked
 * again: given up, the alerts become claimable when their lease ends and are sent twice.
 */
const RECORD_RETRY_MIN_MS = 30_000;

/** A send must end while the lease renewed just before it still holds: it gets the lease less a margin. */
export function sendBudgetMs(leaseMs: number): number {
  return leaseMs - Math.min(5_000, leaseMs / 4);
}

function emptyReport(): DeliveryReport {
  return { emailsSent: 0, alertsSent: 0, alertsRetrying: 0, alertsFailed: 0, alertsWaiting: 0, alertsDeferred: 0, recipientsRefused: [], authenticationFailed: false, errors: [] };
}

function toOutcome(result: RecipientResult): RecipientOutcome {
  if (result.status === 'sent') return { recipient: result.recipient, status: 'sent', error: null, messageId: result.messageId };
  return { recipient: result.recipient, status: result.status === 'failed' ? 'failed' : 'pending', error: result.error, messageId: null };
}

/** The refusals of one email, for the alerts' last error. */
function summarize(refused: ReadonlyArray<Extract<RecipientResult, { error: string }>>, total: number): string | null {
  if (refused.length === 0) return null;
  const text = `${refused.length} of ${total} recipient(s) not reached: ${refused.map((r) => `${r.recipient}: ${r.error}`).join('; ')}`;
  return text.length > MAX_SUMMARY_LENGTH ? `${text.slice(0, MAX_SUMMARY_LENGTH - 1)}…` : text;
}

export class AlertDelivery {
  constructor(
    private readonly outbox: OutboxStore,
    private readonly mailer: Mailer,
    private readonly options: DeliveryOptions,
    private readonly log: Logger,
    /** The clock of batch windows and retry times (tests move it). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One pass over the pending alerts: due ones, or all with `force`; never waits on SMTP past `deadline`. */
  async deliver(options: DeliverOptions = {}): Promise<DeliveryReport> {
    const report = emptyReport();
    let afterId = 0n;
    for (;;) {
      if (this.timeLeft(options.deadline) < MIN_SEND_MS || options.signal?.aborted) break;
      const claim = await this.outbox.claim({ limit: CLAIM_LIMIT, leaseMs: this.options.leaseMs, now: new Date(), afterId, ignoreBackoff: options.force ?? false });
      const last = claim.alerts.at(-1);
      if (!last) break;
      afterId = last.id;
      await this.deliverClaim(claim, options, report);
      if (claim.alerts.length < CLAIM_LIMIT) break;
    }
    return report;
  }

  private timeLeft(deadline: number | undefined): number {
    const lease = sendBudgetMs(this.options.leaseMs);
    return deadline === undefined ? lease : Math.min(lease, deadline - Date.now());
  }

  private async deliverClaim(claim: Claim, options: DeliverOptions, report: DeliveryReport): Promise<void> {
    const held = new Set(claim.alerts.map((a) => a.id));
    try {
      // Held by a silence that has ended, about a case that resolved meanwhile: nothing to say any more.
      const moot = claim.alerts.filter((a) => a.kind === 'document' && a.silenceId !== null && a.caseState === 'resolved').map((a) => a.id);
      if (moot.length > 0) {
        await this.outbox.cancel(claim.token, moot, 'not sent: its case resolved while a silence held it');
        for (const id of moot) held.delete(id);
        this.log.info({ alerts: moot.length }, 'alerts held by a silence not sent: their cases resolved meanwhile');
      }
      const alerts = await this.route({ ...claim, alerts: claim.alerts.filter((a) => held.has(a.id)) });
      // Routed, yet owed to no one: nothing to send, only its status to settle.
      const settled = alerts.filter((a) => a.owed.length === 0).map((a) => a.id);
      if (settled.length > 0) {
        await this.outbox.record(claim.token, { alertIds: settled, outcomes: [], at: this.now(), retryAt: this.now(), error: null, messageId: null });
        for (const id of settled) held.delete(id);
      }
      for (const group of groupByOwed(alerts)) {
        if (!isDue(group.alerts, this.now(), this.options.batchSeconds * 1000, options.force ?? false)) {
          report.alertsWaiting += group.alerts.length;
          continue;
        }
        for (const chunk of chunks(group.alerts, MAX_ALERTS_PER_EMAIL)) {
          const budget = this.timeLeft(options.deadline);
          if (budget < MIN_SEND_MS || options.signal?.aborted) {
            report.alertsDeferred += chunk.length;
            continue;
          }
          // The clock starts before the lease is renewed and the email rendered.
          const signal = options.signal ? AbortSignal.any([AbortSignal.timeout(budget), options.signal]) : AbortSignal.timeout(budget);
          await this.outbox.renew(claim.token, [...held], new Date(Date.now() + this.options.leaseMs));
          await this.sendChunk(claim.token, chunk, group.recipients, signal, report, options);
          for (const alert of chunk) held.delete(alert.id);
        }
      }
    } finally {
      // What was not sent goes back now rather than when the lease runs out.
      await this.outbox.release(claim.token, [...held]).catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'could not hand alerts back: they are claimable again when their lease ends'));
    }
  }

  /**
   * Records what the server did with an email. A database that cannot be reached for a while (a
   * restart, a failover) is waited out — for twice the claim lease, at least 30 s, or until the
   * pass's deadline (at least 5 s) — the alerts staying claimed by this pass meanwhile (the claim
   * token still holds them after its lease, unless another pass took them over). Any other
   * error is not retried.
   */
  private async recordAnswer(token: string, options: DeliverOptions, record: SendRecord): Promise<Map<bigint, AlertStatus>> {
    const started = Date.now();
    const window = Math.max(RECORD_RETRY_MIN_MS, 2 * this.options.leaseMs);
    const giveUpAt = Math.min(started + window, Math.max(options.deadline ?? Infinity, started + 5_000));
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.outbox.record(token, record);
      } catch (error) {
        const waitMs = Math.min(5_000, 250 * 2 ** attempt);
        if (!isDatabaseUnavailable(error) || options.signal?.aborted || Date.now() + waitMs > giveUpAt) {
          this.log.error({ alerts: record.alertIds.length, err: errorMessage(error) }, 'could not record what the SMTP server answered: these alerts may be sent again');
          throw error;
        }
        this.log.warn({ alerts: record.alertIds.length, err: errorMessage(error), retryInMs: waitMs }, 'could not record what the SMTP server answered: trying again');
        await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : undefined).catch(() => undefined);
      }
    }
  }

  /**
   * Fans out the alerts no pass has routed yet, to the recipients configured now. An escalation
   * claimed by a process without ESCALATE_TO (`scan`, `alerts flush` run with other settings)
   * is left for one that has it: handed back with the claim.
   */
  private async route(claim: Claim): Promise<OutboxAlert[]> {
    const routes: Array<{ alertId: bigint; recipients: readonly string[] }> = [];
    const alerts = claim.alerts.flatMap((alert) => {
      if (alert.routed) return [alert];
      const recipients = [...new Set(recipientsOf(alert, this.options))].sort();
      if (recipients.length === 0 && alert.kind === 'escalation') return [];
      if (recipients.length === 0) throw new Error(`internal: no recipients for alert ${alert.id} (kind ${alert.kind})`);
      routes.push({ alertId: alert.id, recipients });
      return [{ ...alert, owed: recipients }];
    });
    if (routes.length > 0) await this.outbox.route(claim.token, routes, this.now());
    return alerts;
  }

  /** The names that can be had within a short bound (never past the send's own deadline). */
  private async customerNames(alerts: readonly OutboxAlert[], signal: AbortSignal): Promise<ReadonlyMap<string, string>> {
    const ids = alerts.flatMap((a) => (a.customerId === null ? [] : [a.customerId]));
    if (!this.options.names || ids.length === 0) return new Map();
    return this.options.names.lookup(ids, AbortSignal.any([signal, AbortSignal.timeout(this.options.nameLookupMs ?? NAME_LOOKUP_MS)]));
  }

  /** The SMTP server's answer to an email of these alerts; a fault before it (rendering) is an answer "not now". */
  private async trySend(alerts: readonly OutboxAlert[], recipients: readonly string[], signal: AbortSignal): Promise<SendResult> {
    try {
      return await this.mailer.send(await this.compose(alerts, recipients, signal), { signal });
    } catch (error) {
      // Not the server's answer (a rendering fault): kept for a later attempt, the reason recorded.
      const text = `not sent: ${errorMessage(error)}`.slice(0, 300);
      return { recipients: recipients.map((recipient) => ({ recipient, status: 'retry', error: text, atRcpt: false })), messages: 0, failure: { reason: 'unavailable', permanent: false, error: text } };
    }
  }

  /**
   * Sends reminders or escalations while their cases are held, so that an acknowledgement
   * recorded meanwhile waits for the send (none goes out after it); those whose case is no
   * longer open are cancelled instead. Returns the alerts sent, with the answer.
   */
  private async sendFollowUps(token: string, alerts: readonly OutboxAlert[], recipients: readonly string[], signal: AbortSignal): Promise<{ sent: OutboxAlert[]; result: SendResult | null }> {
    const caseIds = alerts.flatMap((a) => (a.caseId === null ? [] : [a.caseId]));
    const { keep, gone, result } = await this.outbox.whileCasesHeld(caseIds, async (open) => {
      const keep = alerts.filter((a) => a.caseId !== null && open.has(a.caseId));
      const gone = alerts.filter((a) => !keep.includes(a));
      return { keep, gone, result: keep.length > 0 ? await this.trySend(keep, recipients, signal) : null };
    });
    if (gone.length > 0) {
      const cancelled = await this.outbox.cancel(token, gone.map((a) => a.id), 'not sent: its case was acknowledged or resolved first');
      this.log.info({ kind: alerts[0]?.kind, cancelled }, 'follow-ups cancelled: their cases were acknowledged or resolved before they went out');
    }
    return { sent: keep, result };
  }

  private async sendChunk(token: string, chunk: readonly OutboxAlert[], recipients: readonly string[], signal: AbortSignal, report: DeliveryReport, options: DeliverOptions): Promise<void> {
    let alerts = chunk;
    let result: SendResult;
    if (isFollowUp(chunk[0]?.kind ?? '')) {
      const followUps = await this.sendFollowUps(token, chunk, recipients, signal);
      if (followUps.result === null) return;
      alerts = followUps.sent;
      result = followUps.result;
    } else {
      result = await this.trySend(chunk, recipients, signal);
    }
    const sent = result.recipients.filter((r) => r.status === 'sent');
    const notSent = result.recipients.filter((r): r is Extract<RecipientResult, { error: string }> => r.status !== 'sent');
    const refusedAtRcpt = notSent.filter((r) => r.status === 'failed' && r.atRcpt);
    const now = this.now();
    const attempts = Math.max(...alerts.map((a) => a.attempts));
    const statuses = await this.recordAnswer(token, options, {
      alertIds: alerts.map((a) => a.id),
      outcomes: result.recipients.map(toOutcome),
      at: now,
      retryAt: new Date(now.getTime() + retryDelayMs(attempts, this.options.retry)),
      error: result.failure?.error ?? summarize(notSent, result.recipients.length),
      messageId: sent.find((r) => r.messageId !== null)?.messageId ?? null,
    });
    for (const status of statuses.values()) {
      if (status === 'sent') report.alertsSent++;
      else if (status === 'failed') report.alertsFailed++;
      else report.alertsRetrying++;
    }
    report.emailsSent += result.messages;
    const why = result.failure?.error ?? summarize(notSent, result.recipients.length);
    if (why !== null && !report.errors.includes(why) && report.errors.length < MAX_REPORTED_ERRORS) report.errors.push(why);

    const context = { alerts: alerts.length, kind: alerts[0]?.kind, recipients: recipients.length };
    if (sent.length > 0) {
      this.log.info({ ...context, accepted: sent.length, messages: result.messages }, 'alert email sent');
      await this.outbox.endIncidents(endedBySending(sent.map((r) => r.recipient)));
    }
    for (const refusal of refusedAtRcpt) {
      this.log.error({ ...context, recipient: refusal.recipient, error: refusal.error }, 'recipient refused for good: its delivery is marked failed');
      if (!report.recipientsRefused.includes(refusal.recipient)) report.recipientsRefused.push(refusal.recipient);
      await this.outbox.raiseIncident(recipientRefused(refusal.recipient, refusal.error, alerts.length));
    }
    const failure = result.failure;
    if (failure?.reason === 'authentication') {
      report.authenticationFailed = true;
      this.log.error({ ...context, error: failure.error }, 'SMTP authentication failed: alerts kept for retry; check SMTP_URL');
      // Mail reaches no one now; this operations alert goes out once it can, to say why alerts were late.
      await this.outbox.raiseIncident(smtpCredentialsRejected(failure.error));
    } else if (failure?.reason === 'tls-required') {
      this.log.error({ ...context, error: failure.error }, 'no TLS to send the SMTP credentials over: alerts kept for retry; check SMTP_URL');
    } else if (failure?.permanent) {
      this.log.error({ ...context, error: failure.error }, 'alert email refused for good: its alerts are marked failed');
      await this.outbox.raiseIncident(smtpEmailRefused(failure.error, alerts.length));
    } else if (notSent.some((r) => r.status === 'retry')) {
      this.log.warn({ ...context, notAccepted: notSent.filter((r) => r.status === 'retry').length, error: failure?.error ?? notSent.find((r) => r.status === 'retry')?.error }, 'alert email not accepted for now: will retry');
    }
  }

  private async compose(alerts: readonly OutboxAlert[], to: readonly string[], signal: AbortSignal): Promise<OutgoingEmail> {
    const first = alerts[0];
    if (first?.kind === 'ops') {
      return { from: this.options.from, to, subject: first.subject ?? 'kyc-monitor operations alert', text: `${first.body ?? ''}\n\n-- kyc-monitor\n` };
    }
    if (first?.kind === 'summary') {
      const email = renderSummaryEmail(parseSummaryFigures(first.body ?? ''), this.now());
      return { from: this.options.from, to, subject: email.subject, text: email.text, html: email.html };
    }
    const names = await this.customerNames(alerts, signal);
    if (first && isFollowUp(first.kind)) {
      const cases: FollowUpCase[] = alerts.map((a) => ({
        caseId: a.caseId ?? 0n,
        customerId: a.customerId ?? '',
        customerName: a.customerId === null ? null : (names.get(a.customerId) ?? null),
        purpose: a.purpose ?? '',
        documentType: a.documentType ?? '',
        documentName: a.documentName ?? '',
        documentStatus: a.newStatus ?? '',
        openedAt: a.caseOpenedAt ?? a.detectedAt,
        link: a.caseId !== null && this.options.caseLink ? this.options.caseLink(a.caseId, this.now()) : null,
      }));
      const email = renderFollowUpEmail(first.kind, cases, this.now(), this.options.escalateAfterHours ?? 0);
      return { from: this.options.from, to, subject: email.subject, text: email.text, html: email.html };
    }
    const views: AlertView[] = alerts.map((a) => ({
      detectedAt: a.detectedAt,
      customerId: a.customerId ?? '',
      purpose: a.purpose ?? '',
      documentType: a.documentType ?? '',
      documentName: a.documentName ?? '',
      previousStatus: a.previousStatus,
      newStatus: a.newStatus ?? '',
      verificationResponse: a.verificationResponse,
      expiresOn: a.expiresOn,
      daysLeft: a.kind === 'expiring' && a.body !== null && /^-?\d{1,6}$/.test(a.body) ? Number(a.body) : null,
      caseId: a.caseId,
      baseline: a.baseline,
      customerName: a.customerId === null ? null : (names.get(a.customerId) ?? null),
    }));
    const email = renderAlertEmail(views, this.now(), { customerUrlTemplate: this.options.customerUrlTemplate, instructions: this.options.instructions, caseLink: this.options.caseLink });
    return { from: this.options.from, to, subject: email.subject, text: email.text, html: email.html, attachments: [email.attachment] };
  }
}
