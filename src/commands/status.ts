import { EXIT_OK, runCommand } from './context.js';

export function statusCommand(options: { json?: boolean }): Promise<number> {
  return runCommand(['database'], async ({ app, out }) => {
    const [scans, tracked, failingCount, failing, counts, failedAlerts] = await Promise.all([
      app.scans.recent(5),
      app.customers.countActive(),
      app.customers.countFailing(),
      app.customers.list({ limit: 20, failingOnly: true }),
      app.outbox.counts(),
      app.outbox.listFailed(20),
    ]);
    if (options.json) {
      out(
        JSON.stringify({
          trackedCustomers: tracked,
          lastScans: scans.map((s) => ({ ...s, startedAt: s.startedAt.toISOString(), finishedAt: s.finishedAt?.toISOString() ?? null })),
          failingCustomers: { count: failingCount, customers: failing.map((c) => ({ customerId: c.customerId, lastError: c.lastError, consecutiveFailures: c.consecutiveFailures, lastCheckedAt: c.lastCheckedAt?.toISOString() ?? null })) },
          alerts: counts,
          failedAlerts: failedAlerts.map((a) => ({ id: a.id.toString(), kind: a.kind, customerId: a.customerId, lastError: a.lastError, detectedAt: a.detectedAt.toISOString() })),
        }),
      );
      return EXIT_OK;
    }
    const lines = [`tracked customers: ${tracked}`, '', 'last scans:'];
    if (scans.length === 0) lines.push('  none yet');
    for (const s of scans) {
      lines.push(
        `  ${s.startedAt.toISOString()}  ${s.status.padEnd(9)} ${s.trigger.padEnd(8)} customers ${s.customers}, checked ${s.checked}, failed ${s.failed}, events ${s.changes}, alerts ${s.alerts}${s.error ? `  (${s.error})` : ''}`,
      );
    }
    lines.push('', `failing customers: ${failingCount}`);
    for (const c of failing) lines.push(`  ${c.customerId}  ${c.consecutiveFailures} in a row  ${c.lastError ?? ''}`);
    lines.push('', `alerts: ${counts.pending} pending, ${counts.failed} failed, ${counts.sent} sent`);
    for (const a of failedAlerts) lines.push(`  failed #${a.id} ${a.kind}${a.customerId ? ` ${a.customerId}` : ''}: ${a.lastError ?? ''}`);
    out(lines.join('\n'));
    return EXIT_OK;
  }, { requireMigrated: true });
}
