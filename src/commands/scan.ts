import type { DeliveryReport } from '../deliver/deliver.js';
import { RedisUnreachable } from '../app.js';
import type { ScanSummary } from '../domain/scan.js';
import { runScanInProcess } from '../scan/run-in-process.js';
import { CommandError, describeFailure, EXIT_FAILURE, EXIT_OK, runCommand, writeErr } from './context.js';
import { pendingWords, programPath } from './output.js';
import { ScanTerminal } from './scan-terminal.js';
import { COMMAND_SECTIONS } from './sections.js';

/** How long `scan` may spend delivering alerts before it leaves the rest pending. */
export const SCAN_DELIVERY_BUDGET_MS = 60_000;

/** What delivery did, or why it could not run at all. */
type Delivery = { report: DeliveryReport } | { failure: string };

export function scanCommand(options: { json?: boolean; progress?: boolean }): Promise<number> {
  return runCommand(COMMAND_SECTIONS.scan, async ({ app, config, out, log, logOutput, signal }) => {
    await app.connectRedis(signal).catch((error: unknown) => {
      throw error instanceof RedisUnreachable ? new CommandError(error.message) : error;
    });
    const total = await app.customers.countActive();
    // On a terminal, a person reads: a bar, and the log as readable lines (scan-terminal.ts).
    const terminal = !options.json && process.stderr.isTTY === true ? new ScanTerminal(logOutput, { total, bar: options.progress !== false, logLevel: config.logLevel }) : undefined;
    try {
      terminal?.start();
      signal.addEventListener('abort', () => terminal?.freeze(), { once: true });
      const stopListening = terminal ? app.onCustomerChecked((checked) => terminal.customerChecked(checked)) : () => undefined;
      const result = await runScanInProcess(app.lifecycle, { signal, onBatch: (outcome) => terminal?.batchDone(outcome) }).finally(stopListening);
      if (result.kind === 'finished') terminal?.settle(result.summary);
      terminal?.stopBar();
      if (result.kind === 'busy') {
        throw new CommandError(
          `scan ${result.running.scanId} is still running (started ${result.running.startedAt.toISOString()} by ${result.running.trigger === 'manual' ? 'a scan command' : 'a worker'}): try again when it has finished`,
        );
      }
      const summary = result.summary;
      // Deliver what this scan raised, and anything else pending, within a bounded time
      // (not after Ctrl-C, nor past one during delivery: the worker or the next scan delivers them).
      const delivery: Delivery | null = signal.aborted
        ? null
        : await app.delivery.deliver({ force: true, deadline: Date.now() + SCAN_DELIVERY_BUDGET_MS, signal }).then(
            (report) => ({ report }),
            (error: unknown) => {
              log.error({ err: error }, 'alert delivery failed');
              return { failure: app.secrets.scrub(describeFailure(error)) };
            },
          );
      const { pending, held } = await app.outbox.counts();
      if (options.json) {
        out(JSON.stringify(toJson(summary, delivery, pending, held)));
      } else {
        out([...describe(summary, delivery, pending, held), ...(terminal?.notes() ?? []).map((note) => `  ${note}`)].join('\n'));
      }
      if (summary.status !== 'completed') {
        writeErr(`scan ${summary.status}: ${summary.error ?? 'unknown reason'}`);
        return EXIT_FAILURE;
      }
      if (signal.aborted) {
        writeErr(`interrupted: ${pending} alert(s) left pending (the worker, the next scan or alerts flush delivers them)`);
        return EXIT_FAILURE;
      }
      return EXIT_OK;
    } finally {
      terminal?.close();
    }
  }, { requireMigrated: true });
}

function toJson(summary: ScanSummary, delivery: Delivery | null, pending: number, held: number) {
  const report = delivery && 'report' in delivery ? delivery.report : null;
  return {
    scanId: summary.scanId,
    status: summary.status,
    customers: summary.customers,
    checked: summary.checked,
    failed: summary.failed,
    changes: summary.changes,
    alerts: summary.alerts,
    startedAt: summary.startedAt.toISOString(),
    finishedAt: summary.finishedAt?.toISOString() ?? null,
    error: summary.error,
    delivery: {
      emailsSent: report?.emailsSent ?? 0,
      alertsSent: report?.alertsSent ?? 0,
      alertsFailed: report?.alertsFailed ?? 0,
      alertsPending: pending,
      /** Of the pending ones, those a silence holds. */
      alertsHeld: held,
      deliveryError: report === null,
      errors: delivery === null ? [] : 'report' in delivery ? delivery.report.errors : [delivery.failure],
    },
  };
}

function describe(summary: ScanSummary, delivery: Delivery | null, pending: number, held: number): string[] {
  const seconds = summary.finishedAt ? ((summary.finishedAt.getTime() - summary.startedAt.getTime()) / 1000).toFixed(1) : '?';
  const program = programPath();
  const lines = [`scan ${summary.scanId} ${summary.status} in ${seconds} s`];
  if (summary.customers === 0 && summary.status === 'completed') {
    lines.push(`  no customers are tracked: add some with \`${program} track add <id>…\` or \`${program} track import <file>\``);
    return lines;
  }
  const reasons = Object.entries(summary.failureReasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} ${count}`);
  lines.push(
    `  customers ${summary.customers}, checked ${summary.checked}, failed ${summary.failed}${reasons.length ? ` (${reasons.join(', ')}): \`${program} track list --failing\` shows why` : ''}`,
    `  document events ${summary.changes}, alerts raised ${summary.alerts}`,
  );
  if (delivery === null) {
    lines.push(`  alerts not delivered (interrupted); ${pendingWords(pending, held)}`);
  } else if ('failure' in delivery) {
    lines.push(`  alert delivery failed: ${delivery.failure}; ${pendingWords(pending, held)}`);
  } else {
    const report = delivery.report;
    lines.push(`  emails sent ${report.emailsSent} (${report.alertsSent} alerts); alerts failed ${report.alertsFailed}; ${pendingWords(pending, held)}`);
    lines.push(...deliveryProblems(report).map((line) => `  ${line}`));
  }
  if (pending > 0) lines.push(`  pending alerts are delivered by the worker, the next scan, or \`${program} alerts flush\``);
  return lines;
}

/** Why alerts did not go out, in the mail server's words: a person reads this, not the JSON log. */
function deliveryProblems(report: DeliveryReport): string[] {
  const lines: string[] = [];
  const why = report.errors.join('; ');
  if (report.authenticationFailed) {
    lines.push(`the mail server refused the SMTP credentials (${why}): check the user and password in SMTP_URL; the alerts stay pending`);
  } else if (report.alertsRetrying > 0) {
    lines.push(`${report.alertsRetrying} alert(s) not delivered for now: ${why || 'not accepted'}: check SMTP_URL and that the mail server is up; they stay pending`);
  }
  if (report.alertsDeferred > 0) lines.push(`${report.alertsDeferred} alert(s) not tried: the ${SCAN_DELIVERY_BUDGET_MS / 1000} s given to delivery ran out; they stay pending`);
  if (report.alertsFailed > 0) lines.push(`${report.alertsFailed} alert(s) refused for good${why ? ` (${why})` : ''}: \`kyc-monitor status\` lists them`);
  if (report.recipientsRefused.length > 0) lines.push(`recipients refused for good: ${report.recipientsRefused.join(', ')}`);
  return lines;
}
