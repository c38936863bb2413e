import { renderAlertEmail, type AlertView } from '../domain/alert-email.js';
import { recipientsFor, recipientsKey, type AlertRoutes } from '../domain/recipients.js';
import type { Logger } from '../logger.js';
import type { OutboxAlert, OutboxStore } from '../store/outbox.js';
import type { Mailer, SendResult } from './mailer.js';

// Outbox delivery: claim due alerts → group by recipients → render → send → mark. A failing
// group never holds back another; transient failures wait with backoff, permanent ones are
// marked failed and reported.

export interface DeliveryOptions {
  from: string;
  to: readonly string[];
  routes: AlertRoutes;
  opsTo: readonly string[];
  batchSeconds: number;
}

export interface DeliveryReport {
  emailsSent: number;
  alertsSent: number;
  alertsRetrying: number;
  alertsFailed: number;
  /** Alerts left for later because their group's batch window is still open. */
  alertsWaiting: number;
  authenticationFailed: boolean;
}

/** Most alerts in one email; a larger group goes out in several. */
export const MAX_ALERTS_PER_EMAIL = 500;
const CLAIM_LIMIT = 5_000;
/**
 * How long claimed alerts stay reserved for this process. Renewed before every email, so it only
 * needs to outlast one send (SMTP timeouts: 15 s to connect and greet, 30 s of silence); after a
 * crash the alerts are claimable again this long after the last renewal.
 */
export const LEASE_MS = 90_000;

export function retryDelayMs(attempts: number): number {
  // 30 s, 1 min, 2 min … capped at 1 h.
  return Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts));
}

interface Group {
  recipients: readonly string[];
  alerts: OutboxAlert[];
}

export class AlertDelivery {
  constructor(
    private readonly outbox: OutboxStore,
    private readonly mailer: Mailer,
    private readonly options: DeliveryOptions,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * One pass over the due alerts. `force` sends groups whose batch window is still open (the
   * `scan` command and `alerts flush`); `deadline` stops starting new emails after that time.
   */
  async deliver(options: { force?: boolean; deadline?: number } = {}): Promise<DeliveryReport> {
    const report: DeliveryReport = { emailsSent: 0, alertsSent: 0, alertsRetrying: 0, alertsFailed: 0, alertsWaiting: 0, authenticationFailed: false };
    for (;;) {
      const { token, alerts } = await this.outbox.claimDue(CLAIM_LIMIT, LEASE_MS);
      if (alerts.length === 0) break;
      const waiting: bigint[] = [];
      for (const group of this.group(alerts)) {
        const oldest = Math.min(...group.alerts.map((a) => a.detectedAt.getTime()));
        const ripe = options.force || this.now().getTime() - oldest >= this.options.batchSeconds * 1000;
        const outOfTime = options.deadline !== undefined && Date.now() >= options.deadline;
        if (!ripe || outOfTime) {
          waiting.push(...group.alerts.map((a) => a.id));
          continue;
        }
        await this.sendGroup(group, token, report);
      }
      await this.outbox.release(waiting, token);
      report.alertsWaiting += waiting.length;
      if (alerts.length < CLAIM_LIMIT) break;
      // A full claim may hide more due alerts; go round again unless nothing moved.
      if (waiting.length === alerts.length) break;
    }
    return report;
  }

  private group(alerts: readonly OutboxAlert[]): Group[] {
    const groups = new Map<string, Group>();
    for (const alert of alerts) {
      if (alert.kind === 'ops') {
        // Each operations alert is its own email.
        groups.set(`ops:${alert.id}`, { recipients: this.options.opsTo, alerts: [alert] });
        continue;
      }
      const recipients = recipientsFor(alert.purpose ?? '', this.options.routes, this.options.to);
      const key = `doc:${recipientsKey(recipients)}`;
      const group = groups.get(key) ?? { recipients, alerts: [] };
      group.alerts.push(alert);
      groups.set(key, group);
    }
    return [...groups.values()];
  }

  private async sendGroup(group: Group, token: string, report: DeliveryReport): Promise<void> {
    for (let i = 0; i < group.alerts.length; i += MAX_ALERTS_PER_EMAIL) {
      const chunk = group.alerts.slice(i, i + MAX_ALERTS_PER_EMAIL);
      const ids = chunk.map((a) => a.id);
      await this.outbox.renewLease(token, LEASE_MS);
      let result: SendResult;
      try {
        result = await this.mailer.send(this.compose(chunk, group.recipients));
      } catch (error) {
        result = { ok: false, disposition: 'retry', error: (error as Error).message, authentication: false };
      }
      if (result.ok) {
        await this.outbox.markSent(ids, token, result.messageId);
        report.emailsSent++;
        report.alertsSent += chunk.length;
        this.log.info({ alerts: chunk.length, recipients: group.recipients.length, kind: chunk[0]?.kind }, 'alert email sent');
      } else if (result.disposition === 'failed') {
        await this.outbox.markFailed(ids, token, result.error);
        report.alertsFailed += chunk.length;
        this.log.error({ alerts: chunk.length, error: result.error }, 'alert email refused for good: alerts marked failed');
        if (chunk.some((a) => a.kind !== 'ops')) {
          await this.outbox.addOpsAlert(
            `alerts-failed:${ids[0]}`,
            'kyc-monitor: alert email refused by the mail server',
            `The mail server permanently refused an alert email with ${chunk.length} alert(s) (${result.error}). ` +
              'They are marked failed; `kyc-monitor status` lists them. Check ALERT_TO / ALERT_ROUTES and the mail server.',
          );
        }
      } else {
        const attempts = Math.max(...chunk.map((a) => a.attempts));
        await this.outbox.markRetry(ids, token, result.error, new Date(this.now().getTime() + retryDelayMs(attempts)));
        report.alertsRetrying += chunk.length;
        report.authenticationFailed ||= result.authentication;
        if (result.authentication) {
          this.log.error({ alerts: chunk.length, error: result.error }, 'SMTP authentication failed: alerts kept for retry; check SMTP_URL');
          // Mail cannot reach anyone now; the operations alert goes out once it can, to say why
          // alerts were late. One a day at most, however many retries fail.
          await this.outbox.addOpsAlert(
            `smtp-auth-failed:${this.now().toISOString().slice(0, 10)}`,
            'kyc-monitor: the mail server rejected its credentials',
            `The mail server rejected kyc-monitor's SMTP credentials (${result.error}), so alert emails were held back and retried. ` +
              'None was lost: they are sent as soon as the credentials work. Check the user and password in SMTP_URL.',
          );
        } else {
          this.log.warn({ alerts: chunk.length, error: result.error }, 'alert email not accepted now: will retry');
        }
      }
    }
  }

  private compose(alerts: readonly OutboxAlert[], to: readonly string[]) {
    const first = alerts[0];
    if (first?.kind === 'ops') {
      return { from: this.options.from, to, subject: first.subject ?? 'kyc-monitor operations alert', text: `${first.body ?? ''}\n\n-- kyc-monitor\n` };
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
    }));
    const email = renderAlertEmail(views, this.now());
    return { from: this.options.from, to, subject: email.subject, text: email.text, html: email.html, attachments: [email.attachment] };
  }
}
