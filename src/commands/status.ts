import { caseLabel } from '../domain/cases.js';
import type { ScanSchedule } from '../domain/schedule.js';
import { EXIT_OK, runCommand } from './context.js';
import { COMMAND_SECTIONS } from './sections.js';

export function statusCommand(options: { json?: boolean }): Promise<number> {
  return runCommand(COMMAND_SECTIONS.status, async ({ app, config, out }) => {
    const schedule = config.scan.schedule;
    const [scans, pace, failing, { failedDeliveries: refusedCount, ...counts }, failedAlerts, refused, cases, activeSilences] = await Promise.all([
      app.scans.recent(5),
      app.customers.counts(),
      app.customers.list({ limit: 20, failingOnly: true }),
      app.outbox.counts(),
      app.outbox.listFailed(20),
      app.outbox.listFailedDeliveries(50),
      app.cases.counts(),
      app.silences.countActive(),
    ]);
    const { tracked, failing: failingCount } = pace;
    const oldestOpen = cases.oldest_open_id === null || cases.oldest_open_at === null ? null : { id: Number(cases.oldest_open_id), openedAt: cases.oldest_open_at };
    if (options.json) {
      out(
        JSON.stringify({
          trackedCustomers: tracked,
          schedule,
          checking: { checksLastHour: pace.checksLastHour, oldestCheckAt: pace.oldestCheckAt?.toISOString() ?? null, neverChecked: pace.neverChecked, ...(schedule.kind === 'continuous' ? { dueNow: pace.dueNow } : {}) },
          lastScans: scans.map((s) => ({ ...s, startedAt: s.startedAt.toISOString(), finishedAt: s.finishedAt?.toISOString() ?? null })),
          failingCustomers: { count: failingCount, customers: failing.map((c) => ({ customerId: c.customerId, lastError: c.lastError, consecutiveFailures: c.consecutiveFailures, lastCheckedAt: c.lastCheckedAt?.toISOString() ?? null })) },
          alerts: counts,
          failedAlerts: failedAlerts.map((a) => ({ id: a.id.toString(), kind: a.kind, customerId: a.customerId, lastError: a.lastError, detectedAt: a.detectedAt.toISOString() })),
          // Recipients the mail server refused for good, each with the alert it did not get.
          failedDeliveries: refused.map((d) => ({ alertId: d.alertId.toString(), kind: d.kind, customerId: d.customerId, recipient: d.recipient, error: d.error, failedAt: d.failedAt.toISOString() })),
          failedDeliveriesCount: refusedCount,
          cases: { open: cases.open, acknowledged: cases.acknowledged, oldestOpen: oldestOpen && { id: oldestOpen.id, openedAt: oldestOpen.openedAt.toISOString() } },
          silences: { active: activeSilences },
        }),
      );
      return EXIT_OK;
    }
    const now = Date.now();
    const lastCompleted = scans.find((s) => s.status === 'completed');
    const lines = [
      `tracked customers: ${tracked}`,
      `schedule: ${describeSchedule(schedule)}`,
      `checks in the last hour: ${pace.checksLastHour}${schedule.kind === 'continuous' ? `; due now: ${pace.dueNow}` : ''}; oldest last check: ${pace.oldestCheckAt ? `${ago(now - pace.oldestCheckAt.getTime())} ago` : 'none'}${pace.neverChecked > 0 ? ` (${pace.neverChecked} never checked)` : ''}`,
      `last completed scan: ${lastCompleted?.finishedAt ? `${ago(now - lastCompleted.finishedAt.getTime())} ago (${lastCompleted.finishedAt.toISOString()})` : 'none among the last scans'}`,
      '',
      'last scans:',
    ];
    if (scans.length === 0) lines.push('  none yet');
    for (const s of scans) {
      const took = s.finishedAt ? `${ago(s.finishedAt.getTime() - s.startedAt.getTime())}` : 'running';
      lines.push(
        `  ${s.startedAt.toISOString()}  ${s.status.padEnd(9)} ${s.trigger.padEnd(8)} ${took.padEnd(7)} customers ${s.customers}, checked ${s.checked}, failed ${s.failed}, events ${s.changes}, alerts ${s.alerts}${s.error ? `  (${s.error})` : ''}`,
      );
    }
    lines.push('', `failing customers: ${failingCount}`);
    for (const c of failing) lines.push(`  ${c.customerId}  ${c.consecutiveFailures} in a row  ${c.lastError ?? ''}`);
    if (failingCount > failing.length) lines.push(`  … ${failingCount - failing.length} more: kyc-monitor track list --failing`);
    lines.push('', `cases: ${cases.open} open (not acknowledged), ${cases.acknowledged} acknowledged`);
    if (activeSilences > 0) lines.push(`  silences holding alerts: ${activeSilences} (kyc-monitor silence list)`);
    if (oldestOpen) lines.push(`  oldest open: ${caseLabel(oldestOpen.id)}, opened ${ago(now - oldestOpen.openedAt.getTime())} ago (${oldestOpen.openedAt.toISOString()}): kyc-monitor cases list`);
    lines.push('', `alerts: ${counts.pending} pending${counts.held > 0 ? ` (${counts.held} held by silences)` : ''}, ${counts.failed} failed, ${counts.sent} sent`);
    for (const a of failedAlerts) lines.push(`  failed alert ${a.id} ${a.kind}${a.customerId ? ` ${a.customerId}` : ''}: ${a.lastError ?? ''}`);
    if (refusedCount > 0) {
      lines.push('', `recipients refused for good: ${refusedCount} deliveries`);
      for (const d of refused) lines.push(`  ${d.recipient}  alert ${d.alertId} ${d.kind}${d.customerId ? ` ${d.customerId}` : ''}: ${d.error ?? ''}`);
      if (refusedCount > refused.length) lines.push(`  … ${refusedCount - refused.length} more`);
    }
    out(lines.join('\n'));
    return EXIT_OK;
  }, { requireMigrated: true });
}

function describeSchedule(schedule: ScanSchedule): string {
  if (schedule.kind === 'continuous') return `continuous: a tick every ${schedule.tickSeconds} s checks who is due, everyone at least every ${schedule.everyHours} h`;
  if (schedule.kind === 'every') return `a scan every ${schedule.seconds} s`;
  return `scans on "${schedule.pattern}" (${schedule.timezone})`;
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}
