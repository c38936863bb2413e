import { testEmail } from '../domain/ops-alerts.js';
import { CommandError, EXIT_FAILURE, EXIT_OK, runCommand } from './context.js';
import { pendingWords } from './output.js';
import { queueSummaryNow } from '../schedule/summary.js';
import { COMMAND_SECTIONS } from './sections.js';

export function alertsFlush(options: { json?: boolean }): Promise<number> {
  return runCommand(COMMAND_SECTIONS['alerts flush'], async ({ app, out }) => {
    // A person asking for delivery now: every pending alert, whatever its backoff or batch window.
    const report = await app.delivery.deliver({ force: true });
    const { pending, held } = await app.outbox.counts();
    if (options.json) {
      out(JSON.stringify({ ...report, pending, held }));
    } else {
      const lines = [`emails sent ${report.emailsSent} (${report.alertsSent} alerts); retrying later ${report.alertsRetrying}; failed ${report.alertsFailed}; ${pendingWords(pending, held)}`];
      if (report.recipientsRefused.length > 0) lines.push(`recipients refused for good: ${report.recipientsRefused.join(', ')} (kyc-monitor status lists them)`);
      out(lines.join('\n'));
    }
    return report.alertsRetrying > 0 || report.alertsFailed > 0 ? EXIT_FAILURE : EXIT_OK;
  }, { requireMigrated: true });
}

export function alertsSummary(options: { json?: boolean }): Promise<number> {
  return runCommand(COMMAND_SECTIONS['alerts summary'], async ({ app, out, config }) => {
    // The summary of the period since the previous one, now, then delivered like any email.
    await queueSummaryNow(app.outbox, config.mail.summary?.timezone ?? config.rules.timeZone, config.rules.statuses, new Date());
    const report = await app.delivery.deliver({ force: true });
    if (options.json) out(JSON.stringify(report));
    else out(`summary queued; emails sent ${report.emailsSent}${report.errors.length ? `; not sent: ${report.errors.join('; ')}` : ''}`);
    return report.emailsSent > 0 ? EXIT_OK : EXIT_FAILURE;
  }, { requireMigrated: true });
}

export function alertsTest(): Promise<number> {
  return runCommand(COMMAND_SECTIONS['alerts test'], async ({ app, out, config }) => {
    const email = testEmail(config.mail.to, new Date());
    const result = await app.mailer.send({ from: config.mail.from, to: config.mail.to, subject: email.subject, text: `${email.body}\n\n-- kyc-monitor\n` });
    const notReached = result.recipients.flatMap((r) => (r.status === 'sent' ? [] : [`${r.recipient}: ${r.error}`]));
    if (result.messages === 0) throw new CommandError(`test email not sent: ${result.failure?.error ?? notReached.join('; ')}`);
    if (notReached.length > 0) throw new CommandError(`test email sent, but not accepted for ${notReached.join('; ')}`);
    out(`test email sent to ${config.mail.to.join(', ')}`);
    return EXIT_OK;
  });
}
