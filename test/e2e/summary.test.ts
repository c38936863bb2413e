import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { scanFixture } from '../support/scan-fixture.js';
import { startWorker, stopWorker, until } from '../support/worker.js';

// The summary email (SPEC §12) end to end: `alerts summary` sends one now, with the figures of
// the period and the oldest cases awaiting acknowledgement by id; two workers on the same
// schedule send one per tick, each period starting where the previous one ended.

const f = scanFixture({ ALERT_BATCH_SECONDS: '0', SCAN_EVERY_SECONDS: '3600' });

const passport = (status: string) => ({ purpose: 'KYC', documentType: 'Passport', name: 'passport', location: '/p.pdf', verificationResponse: 'ok', status, metadata: [{ name: 'Expiry Date', type: 'String', value: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10) }] });

interface Figures {
  periodStart: string;
  periodEnd: string;
  [key: string]: unknown;
}

describe('summary email', () => {
  it('`alerts summary` sends one now: the period, its figures, the oldest cases awaiting acknowledgement', async () => {
    await f.trackIds(['s-1', 's-2', 's-3']);
    // Both expire within 30 days; s-1's is already expired (an alert status): only s-2's counts as expiring.
    f.sandbox.setDocuments('s-1', [passport('expired')]);
    f.sandbox.setDocuments('s-2', [passport('verified')]);
    f.sandbox.failNext('s-3', '404', 10);
    await f.scanSummary();
    const sent = f.smtp.messages.length;
    const result = await runCli(['alerts', 'summary'], f.env());
    expect(result.code, result.stderr).toBe(0);
    const email = f.smtp.messages[sent];
    expect(email?.envelope.to).toEqual(['compliance@example.com']);
    expect(String(email?.parsed.subject)).toMatch(/^KYC summary \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d: 1 alert, 1 case awaiting acknowledgement, 1 customer failing$/);
    const text = email?.parsed.text ?? '';
    for (const line of ['completed: 1', 'tracked: 3', 'checked in the period: 3', 'never checked successfully: 1', 'failing now: 1', 'changes recorded: 2', 'alerts raised: 1', 'expiring within 30 days: 1', 'opened: 1', 'awaiting acknowledgement: 1']) {
      expect(text).toContain(line);
    }
    const [c] = JSON.parse((await runCli(['cases', 'list', '--json'], f.env())).stdout) as Array<{ id: number }>;
    expect(text).toMatch(new RegExp(`#${c?.id}  s-1  Passport "passport" \\(KYC\\), expired, open for`));
    expect(email?.parsed.html).toContain(`<strong>#${c?.id}</strong>`);
  });

  it('two workers on the same schedule send one summary per tick, each period where the previous ended', async () => {
    await f.trackIds(['t-1']);
    f.sandbox.setDocuments('t-1', [passport('verified')]);
    const before = f.smtp.messages.length;
    const env = f.env({ SUMMARY_CRON: '*/2 * * * * *', LOG_LEVEL: 'info' });
    const workers = await Promise.all([startWorker(env), startWorker(env)]);
    f.running.push(...workers);
    await until('three summaries delivered', async () => (await f.t.db.alert.count({ where: { kind: 'summary', status: 'sent' } })) >= 3, 60_000);
    for (const w of workers) expect(await stopWorker(w)).toBe(0);
    const summaries = await f.t.db.alert.findMany({ where: { kind: 'summary' }, orderBy: { id: 'asc' } });
    const keys = summaries.map((s) => s.dedupeKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((k) => /^summary:tick:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/.test(k ?? ''))).toBe(true);
    const sent = summaries.filter((s) => s.status === 'sent');
    const emails = f.smtp.messages.slice(before).filter((m) => /^KYC summary /.test(String(m.parsed.subject)));
    expect(emails.length, JSON.stringify(summaries.map((s) => [s.dedupeKey, s.status, s.claimToken]))).toBe(sent.length);
    const periods = summaries.map((s) => JSON.parse(s.body ?? '{}') as Figures);
    for (let i = 1; i < periods.length; i++) expect(periods[i]?.periodStart).toBe(periods[i - 1]?.periodEnd);
  });
});
