import cliProgress from 'cli-progress';
import type { DeliveryReport } from '../deliver/deliver.js';
import { RedisUnreachable } from '../app.js';
import type { ScanSummary } from '../domain/scan.js';
import { runScanInProcess } from '../scan/run-in-process.js';
import { CommandError, EXIT_FAILURE, EXIT_OK, runCommand, writeErr } from './context.js';

/** How long `scan` may spend delivering alerts before it leaves the rest pending. */
export const SCAN_DELIVERY_BUDGET_MS = 60_000;

export function scanCommand(options: { json?: boolean; progress?: boolean }): Promise<number> {
  return runCommand(['database', 'redis', 'cyrexa', 'scan', 'rules', 'mail'], async ({ app, out, log, signal }) => {
    await app.connectRedis(10_000, signal).catch((error: unknown) => {
      throw error instanceof RedisUnreachable ? new CommandError(error.message) : error;
    });
    const total = await app.customers.countActive();
    const showBar = options.progress !== false && !options.json && process.stderr.isTTY === true;
    const bar = showBar ? new cliProgress.SingleBar({ format: 'scan [{bar}] {value}/{total} customers | {failed} failed | {alerts} alerts', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(total, 0, { failed: 0, alerts: 0 });
    let done = 0;
    let failed = 0;
    let alerts = 0;
    const result = await runScanInProcess(app.lifecycle, {
      signal,
      onBatch: (outcome, size) => {
        done += size;
        failed += outcome.failed;
        alerts += outcome.alerts;
        bar?.update(Math.min(done, Math.max(total, done)), { failed, alerts });
      },
    }).finally(() => bar?.stop());
    if (result.kind === 'busy') {
      throw new CommandError(
        `scan ${result.running.scanId} is still running (started ${result.running.startedAt.toISOString()} by ${result.running.trigger === 'manual' ? 'a scan command' : 'a worker'}): try again when it has finished`,
      );
    }
    const summary = result.summary;
    // Deliver what this scan raised, and anything else pending, within a bounded time
    // (not after Ctrl-C, nor past one during delivery: the worker or the next scan delivers them).
    const delivery = signal.aborted
      ? null
      : await app.delivery.deliver({ force: true, deadline: Date.now() + SCAN_DELIVERY_BUDGET_MS, signal }).catch((error: unknown) => {
          log.error({ err: error }, 'alert delivery failed');
          return null;
        });
    const pending = (await app.outbox.counts()).pending;
    if (options.json) {
      out(JSON.stringify(toJson(summary, delivery, pending)));
    } else {
      out(describe(summary, delivery, pending));
    }
    if (summary.status !== 'completed') {
      writeErr(`scan ${summary.status}: ${summary.error ?? 'unknown reason'}`);
      return EXIT_FAILURE;
    }
    if (signal.aborted) {
      process.stderr.write(`kyc-monitor: interrupted: ${pending} alert(s) left pending (the worker, the next scan or alerts flush delivers them)\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  }, { requireMigrated: true });
}

function toJson(summary: ScanSummary, delivery: DeliveryReport | null, pending: number) {
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
      emailsSent: delivery?.emailsSent ?? 0,
      alertsSent: delivery?.alertsSent ?? 0,
      alertsFailed: delivery?.alertsFailed ?? 0,
      alertsPending: pending,
      deliveryError: delivery === null,
    },
  };
}

function describe(summary: ScanSummary, delivery: DeliveryReport | null, pending: number): string {
  const seconds = summary.finishedAt ? ((summary.finishedAt.getTime() - summary.startedAt.getTime()) / 1000).toFixed(1) : '?';
  const lines = [
    `scan ${summary.scanId} ${summary.status} in ${seconds} s`,
    `  customers ${summary.customers}, checked ${summary.checked}, failed ${summary.failed}`,
    `  document events ${summary.changes}, alerts raised ${summary.alerts}`,
    delivery
      ? `  emails sent ${delivery.emailsSent} (${delivery.alertsSent} alerts); alerts failed ${delivery.alertsFailed}; pending ${pending}`
      : `  alert delivery failed; pending ${pending}`,
  ];
  if (pending > 0) lines.push('  pending alerts are delivered by the worker, the next scan, or `kyc-monitor alerts flush`');
  return lines.join('\n');
}
