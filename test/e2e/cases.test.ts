import { describe, expect, it } from 'vitest';
import type { SandboxDocument } from '../../src/sandbox/generator.js';
import { runCli } from '../support/cli.js';
import { scanFixture } from '../support/scan-fixture.js';
import { csvRows } from '../support/smtp.js';

// Cases end to end (SPEC §10): `scan` opens, joins and resolves them as the documents change,
// the emails name them, and people follow them with `cases …` — all through the real command
// line, against real Postgres, a real HTTP sandbox and a real SMTP server.

const f = scanFixture({ ALERT_BATCH_SECONDS: '0' });

const passport = (status: string, name = 'passport'): SandboxDocument => ({
  purpose: 'KYC',
  documentType: 'Passport',
  name,
  location: `/${name}.pdf`,
  verificationResponse: 'ok',
  status,
  metadata: [],
});

async function cli(args: string[]) {
  return runCli(args, f.env());
}

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const result = await cli([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

interface CaseJson {
  id: number;
  customerId: string;
  documentName: string;
  documentStatus: string;
  state: string;
  acknowledgedBy: string | null;
  resolution: string | null;
  timeline: Array<{ at: string; kind: string; actor: string; [key: string]: unknown }>;
}

describe('cases from alert to resolution', () => {
  it('an alert opens a case, a later one joins it, the emails name it, and a check seeing it recovered resolves it; a new alert opens a new case', async () => {
    await f.trackIds(['c-1']);
    f.sandbox.setDocuments('c-1', [passport('verified'), passport('verified', 'selfie')]);
    expect(await f.scanSummary()).toMatchObject({ alerts: 0 });
    expect(await json<unknown[]>(['cases', 'list'])).toEqual([]);

    f.sandbox.setDocuments('c-1', [passport('expired'), passport('verified', 'selfie')]);
    expect(await f.scanSummary()).toMatchObject({ alerts: 1 });
    const [opened] = await json<CaseJson[]>(['cases', 'list']);
    expect(opened).toMatchObject({ customerId: 'c-1', purpose: 'KYC', documentType: 'Passport', documentName: 'passport', documentStatus: 'expired', state: 'open', acknowledgedBy: null, resolution: null });
    const id = opened?.id as number;
    const first = f.smtp.messages.at(-1);
    expect(first?.parsed.text).toContain(`case #${id}`);
    expect(first?.parsed.html).toContain(`case #${id}`);
    expect(csvRows(first!).map((r) => r.case_id)).toEqual([String(id)]);

    // expired → declined: the same document, the same case.
    f.sandbox.setDocuments('c-1', [passport('declined'), passport('verified', 'selfie')]);
    expect(await f.scanSummary()).toMatchObject({ alerts: 1 });
    const joined = await json<CaseJson>(['cases', 'show', String(id)]);
    expect(joined).toMatchObject({ id, state: 'open', documentStatus: 'declined' });
    expect(joined.timeline.map((e) => e.kind)).toEqual(['opened', 'alert', 'email', 'alert', 'email']);
    expect(joined.timeline[1]).toMatchObject({ actor: 'system', previousStatus: 'verified', newStatus: 'expired' });
    expect(joined.timeline[2]).toMatchObject({ actor: 'system', recipients: ['compliance@example.com'], messageId: expect.stringMatching(/.+/) });
    expect(joined.timeline[3]).toMatchObject({ previousStatus: 'expired', newStatus: 'declined' });
    expect(csvRows(f.smtp.messages.at(-1)!).map((r) => r.case_id)).toEqual([String(id)]);

    // Back to verified: the check resolves it.
    f.sandbox.setDocuments('c-1', [passport('verified'), passport('verified', 'selfie')]);
    await f.scanSummary();
    const resolved = await json<CaseJson>(['cases', 'show', `#${id}`]);
    expect(resolved).toMatchObject({ state: 'resolved', resolution: 'recovered', resolvedBy: 'system' });
    expect(resolved.timeline.at(-1)).toMatchObject({ kind: 'resolved', actor: 'system', resolution: 'recovered', documentStatus: 'verified' });

    // A resolved case never reopens: a new alert opens a new case.
    f.sandbox.setDocuments('c-1', [passport('expired'), passport('verified', 'selfie')]);
    await f.scanSummary();
    const open = await json<CaseJson[]>(['cases', 'list']);
    expect(open.map((c) => c.id)).toEqual([expect.any(Number)]);
    expect(open[0]?.id).toBeGreaterThan(id);
    expect((await json<CaseJson[]>(['cases', 'list', '--state', 'all'])).map((c) => [c.id, c.state])).toEqual([[id, 'resolved'], [open[0]?.id, 'open']]);
  });

  it('a document gone from a successful answer resolves its case as removed; `track remove` resolves as untracked', async () => {
    await f.trackIds(['r-1', 'u-1']);
    f.sandbox.setDocuments('r-1', [passport('expired'), passport('verified', 'selfie')]);
    f.sandbox.setDocuments('u-1', [passport('declined')]);
    expect(await f.scanSummary()).toMatchObject({ alerts: 2 });
    const cases = await json<CaseJson[]>(['cases', 'list']);
    const byCustomer = new Map(cases.map((c) => [c.customerId, c.id]));

    f.sandbox.setDocuments('r-1', [passport('verified', 'selfie')]);
    await f.scanSummary();
    expect(await json<CaseJson>(['cases', 'show', String(byCustomer.get('r-1'))])).toMatchObject({ state: 'resolved', resolution: 'removed' });

    const removed = await cli(['track', 'remove', 'u-1']);
    expect(removed.code, removed.stderr).toBe(0);
    const untracked = await json<CaseJson>(['cases', 'show', String(byCustomer.get('u-1'))]);
    expect(untracked).toMatchObject({ state: 'resolved', resolution: 'untracked' });
    expect(untracked.timeline.at(-1)).toMatchObject({ kind: 'resolved', actor: 'system', resolution: 'untracked' });
    expect(await json<unknown[]>(['cases', 'list'])).toEqual([]);
  });

  it('people acknowledge, resolve and annotate; repeats change nothing; bad input records nothing (exit 2)', async () => {
    await f.trackIds(['p-1', 'p-2', 'p-3']);
    for (const id of ['p-1', 'p-2', 'p-3']) f.sandbox.setDocuments(id, [passport('expired')]);
    await f.scanSummary();
    const [a, b, c] = (await json<CaseJson[]>(['cases', 'list'])).map((x) => x.id) as [number, number, number];

    const ack = await cli(['cases', 'ack', String(a), `#${b}`, '--by', 'Alice Example', '--note', 'calling the customer\nticket 42']);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toContain(`#${a} acknowledged by Alice Example`);
    const again = await cli(['cases', 'ack', String(a), '--by', 'Bob']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`#${a} is acknowledged already (by Alice Example): left unchanged`);
    expect(await json<CaseJson>(['cases', 'show', String(a)])).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'Alice Example' });

    // Unknown ids, bad ids, missing or bad --by / --note: exit 2, nothing recorded.
    const before = await f.t.db.caseEvent.count();
    const refusals = await Promise.all([
      cli(['cases', 'ack', String(c), '999999', '--by', 'Alice']),
      cli(['cases', 'ack', 'abc', '--by', 'Alice']),
      cli(['cases', 'ack', String(c)]),
      cli(['cases', 'ack', String(c), '--by', 'x'.repeat(201)]),
      cli(['cases', 'ack', String(c), '--by', 'Al\u001bice']),
      cli(['cases', 'resolve', String(c), '--by', 'Alice']),
      cli(['cases', 'note', String(c), '--by', 'Alice', '--note', 'n'.repeat(2001)]),
      cli(['cases', 'note', String(c), '--by', 'Alice', '--note', 'bell\u0007']),
      cli(['cases', 'list', '--state', 'closed']),
      cli(['cases', 'show', '999999']),
    ]);
    expect(refusals.map((r) => r.code)).toEqual(Array(refusals.length).fill(2));
    expect(refusals[0]?.stderr).toContain('no case #999999: nothing recorded');
    expect(refusals[1]?.stderr).toContain('"abc" is not a case id');
    expect(refusals[2]?.stderr).toContain('--by is required');
    expect(refusals[3]?.stderr).toContain('--by is longer than 200 characters');
    expect(refusals[5]?.stderr).toContain('--note is required');
    expect(await f.t.db.caseEvent.count()).toBe(before);
    expect(await json<CaseJson>(['cases', 'show', String(c)])).toMatchObject({ state: 'open' });

    const resolve = await cli(['cases', 'resolve', String(b), String(c), '--by', 'Carol', '--note', 'documents renewed offline']);
    expect(resolve.code, resolve.stderr).toBe(0);
    const resolveAgain = await cli(['cases', 'resolve', String(c), '--by', 'Dave', '--note', 'again']);
    expect(resolveAgain.stdout).toContain(`#${c} is resolved already (manual by Carol): left unchanged`);
    const acked = await cli(['cases', 'ack', String(c), '--by', 'Eve']);
    expect(acked.stdout).toContain(`#${c} is resolved already`);
    const note = await cli(['cases', 'note', String(a), '--by', 'Alice Example', '--note', 'customer promised a new passport']);
    expect(note.code, note.stderr).toBe(0);

    const shown = await json<CaseJson>(['cases', 'show', String(b)]);
    expect(shown).toMatchObject({ state: 'resolved', resolution: 'manual', resolvedBy: 'Carol', acknowledgedBy: 'Alice Example' });
    expect(shown.timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['opened', 'system'],
      ['alert', 'system'],
      ['email', 'system'],
      ['acknowledged', 'Alice Example'],
      ['resolved', 'Carol'],
    ]);
    expect(shown.timeline[3]).toMatchObject({ note: 'calling the customer\nticket 42', via: 'cli' });
    expect(shown.timeline[4]).toMatchObject({ resolution: 'manual', note: 'documents renewed offline' });
    expect((await json<CaseJson>(['cases', 'show', String(a)])).timeline.at(-1)).toMatchObject({ kind: 'note', actor: 'Alice Example', note: 'customer promised a new passport' });

    // Lists and status.
    expect((await json<CaseJson[]>(['cases', 'list', '--state', 'acknowledged'])).map((x) => x.id)).toEqual([a]);
    expect((await json<CaseJson[]>(['cases', 'list', '--state', 'resolved', '--customer', 'p-3'])).map((x) => x.id)).toEqual([c]);
    const text = await cli(['cases', 'list']);
    expect(text.stdout).toMatch(new RegExp(`#${a}\\s+p-1\\s+KYC Passport "passport"\\s+expired\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+\\S+\\s+acknowledged\\s+Alice Example`));
    const status = await json<{ cases: { open: number; acknowledged: number } }>(['status']);
    expect(status.cases).toMatchObject({ open: 0, acknowledged: 1 });
    const shownText = await cli(['cases', 'show', String(b)]);
    expect(shownText.stdout).toContain('acknowledged');
    expect(shownText.stdout).toContain('note: calling the customer\n');
  });
});

describe('silences hold, never drop', () => {
  it('a silence expiring while its case is still open: the alert, recorded meanwhile, is delivered once when it ends', async () => {
    await f.trackIds(['s-1', 's-2']);
    f.sandbox.setDocuments('s-1', [passport('verified')]);
    f.sandbox.setDocuments('s-2', [passport('verified')]);
    await f.scanSummary();
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const added = await json<{ id: number }>(['silence', 'add', '--customer', 's-1', '--purpose', 'KYC', '--until', until, '--by', 'Alice', '--reason', 'customer renewing in branch']);
    expect(added.id).toEqual(expect.any(Number));
    expect((await json<Array<{ id: number; active: boolean }>>(['silence', 'list'])).map((s) => [s.id, s.active])).toEqual([[added.id, true]]);

    f.sandbox.setDocuments('s-1', [passport('expired')]);
    f.sandbox.setDocuments('s-2', [passport('expired')]);
    const sent = f.smtp.messages.length;
    const scan = await f.scanJson();
    expect(scan.json).toMatchObject({ alerts: 2, delivery: { alertsPending: 1, alertsHeld: 1 } });
    // s-2's alert goes out; s-1's is recorded, its case opened, and held.
    const emails = f.smtp.messages.slice(sent);
    expect(emails.flatMap((m) => csvRows(m).map((r) => r.customer_id))).toEqual(['s-2']);
    const [held] = await json<CaseJson[]>(['cases', 'list', '--customer', 's-1']);
    const timeline = (await json<CaseJson>(['cases', 'show', String(held?.id)])).timeline;
    expect(timeline.map((e) => e.kind)).toEqual(['opened', 'alert']);
    expect(timeline[1]).toMatchObject({ silenceId: added.id });
    expect((await json<{ silences: { active: number } }>(['status'])).silences).toEqual({ active: 1 });

    // Still silenced: a flush sends nothing.
    await cli(['alerts', 'flush']);
    expect(f.smtp.messages.length).toBe(sent + 1);
    // Its day has passed (the clock moved on: its period now lies behind us). The next delivery sends it, once.
    await f.t.db.$executeRaw`UPDATE silences SET starts_at = now() - interval '1 day', ends_at = now() - interval '1 second'`;
    expect((await json<Array<{ active: boolean }>>(['silence', 'list', '--all']))[0]).toMatchObject({ active: false });
    await cli(['alerts', 'flush']);
    await cli(['alerts', 'flush']);
    const after = f.smtp.messages.slice(sent + 1);
    expect(after.flatMap((m) => csvRows(m).map((r) => [r.customer_id, r.case_id]))).toEqual([['s-1', String(held?.id)]]);
    expect((await json<CaseJson>(['cases', 'show', String(held?.id)])).timeline.map((e) => e.kind)).toEqual(['opened', 'alert', 'email']);
    expect((await json<{ silences: { active: number } }>(['status'])).silences).toEqual({ active: 0 });
  });

  it('a case whose document recovered while silenced: nothing is sent when the silence is removed', async () => {
    await f.trackIds(['q-1']);
    f.sandbox.setDocuments('q-1', [passport('verified')]);
    await f.scanSummary();
    const { id } = await json<{ id: number }>(['silence', 'add', '--customer', 'q-1', '--document-name', 'passport', '--for', '7d', '--by', 'Alice', '--reason', 'known issue']);
    f.sandbox.setDocuments('q-1', [passport('declined')]);
    await f.scanSummary();
    f.sandbox.setDocuments('q-1', [passport('verified')]);
    await f.scanSummary();
    const [c] = await json<CaseJson[]>(['cases', 'list', '--state', 'all', '--customer', 'q-1']);
    expect(c).toMatchObject({ state: 'resolved', resolution: 'recovered' });
    const sent = f.smtp.messages.length;
    const removed = await cli(['silence', 'remove', String(id), '--by', 'Bob']);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await cli(['silence', 'remove', String(id), '--by', 'Bob'])).stdout).toContain('had ended already');
    await cli(['alerts', 'flush']);
    expect(f.smtp.messages.length).toBe(sent);
    expect(await f.t.db.alert.findFirstOrThrow({ where: { customerId: 'q-1', kind: 'document' } })).toMatchObject({ status: 'cancelled' });
    expect((await json<Array<{ id: number; removedBy: string }>>(['silence', 'list', '--all'])).map((s) => [s.id, s.removedBy])).toEqual([[id, 'Bob']]);
  });

  it('refuses bad silences with exit 2, recording nothing', async () => {
    await f.trackIds(['v-1']);
    const results = await Promise.all([
      cli(['silence', 'add', '--customer', 'v-1', '--for', '7d', '--by', 'A']),
      cli(['silence', 'add', '--customer', 'v-1', '--for', '400d', '--by', 'A', '--reason', 'r']),
      cli(['silence', 'add', '--customer', 'v-1', '--until', '2020-01-01', '--by', 'A', '--reason', 'r']),
      cli(['silence', 'add', '--customer', 'v-1', '--until', 'tomorrow', '--by', 'A', '--reason', 'r']),
      cli(['silence', 'add', '--customer', 'v-1', '--for', '1d', '--until', '2030-01-01', '--by', 'A', '--reason', 'r']),
      cli(['silence', 'add', '--customer', 'never-tracked', '--for', '1d', '--by', 'A', '--reason', 'r']),
      cli(['silence', 'remove', '999', '--by', 'A']),
      cli(['silence', 'remove', 'x', '--by', 'A']),
    ]);
    expect(results.map((r) => r.code)).toEqual(Array(results.length).fill(2));
    expect(results[0]?.stderr).toContain('--reason is required');
    expect(results[1]?.stderr).toContain('at most 365 days ahead');
    expect(results[2]?.stderr).toContain('must end in the future');
    expect(results[3]?.stderr).toContain('--until must be an ISO-8601 date');
    expect(results[4]?.stderr).toContain('exactly one of --until');
    expect(results[5]?.stderr).toContain('was never tracked');
    expect(results[6]?.stderr).toContain('no silence 999');
    expect(await f.t.db.silence.count()).toBe(0);
  });
});

describe('export of the evidence', () => {
  it('every document event and timeline entry of the period, oldest first, as JSON lines or CSV (cells neutralised), whole into a file', async () => {
    await f.trackIds(['x-1', 'x-2', 'x-3']);
    const soon = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    f.sandbox.setDocuments('x-3', [{ ...passport('verified'), metadata: [{ name: 'expiryDate', type: 'String', value: soon }] }]);
    f.sandbox.setDocuments('x-1', [passport('verified')]);
    f.sandbox.setDocuments('x-2', [{ ...passport('verified'), name: '=HYPERLINK("http://evil")' }]);
    await f.scanSummary();
    f.sandbox.setDocuments('x-1', [passport('expired')]);
    f.sandbox.setDocuments('x-2', [{ ...passport('declined'), name: '=HYPERLINK("http://evil")' }]);
    await f.scanSummary();
    const [c1] = await json<CaseJson[]>(['cases', 'list', '--customer', 'x-1']);
    expect((await cli(['cases', 'ack', String(c1?.id), '--by', 'Alice', '--note', 'on it'])).code).toBe(0);
    expect((await cli(['silence', 'add', '--customer', 'x-2', '--for', '1d', '--by', 'Bob', '--reason', 'waiting'])).code).toBe(0);

    const jsonl = await cli(['export']);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const records = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as { at: string; kind: string; customerId: string; caseId: number | null; actor: string; details: Record<string, unknown> });
    expect(records.map((r) => r.at)).toEqual([...records.map((r) => r.at)].sort());
    const kinds = (id: string) => records.filter((r) => r.customerId === id).map((r) => r.kind);
    expect(kinds('x-1')).toEqual(['appeared', 'status_changed', 'opened', 'alert', 'email', 'acknowledged']);
    expect(kinds('x-2')).toEqual(['appeared', 'status_changed', 'opened', 'alert', 'email', 'silence_added', 'silenced']);
    // An expiry warning (no case) and the email that carried it.
    expect(kinds('x-3')).toEqual(['appeared', 'expiry_warning', 'warning_email']);
    expect(records.find((r) => r.kind === 'expiry_warning')).toMatchObject({ caseId: null, actor: 'system', details: { status: 'verified', expiresOn: soon, thresholdDays: 30 } });
    expect(records.find((r) => r.kind === 'warning_email')?.details).toMatchObject({ recipients: ['compliance@example.com'], messageId: expect.any(String) });
    const change = records.find((r) => r.customerId === 'x-1' && r.kind === 'status_changed');
    expect(change).toMatchObject({ caseId: c1?.id, actor: 'system', details: { previousStatus: 'verified', newStatus: 'expired' } });
    expect(records.find((r) => r.kind === 'acknowledged')).toMatchObject({ caseId: c1?.id, actor: 'Alice', details: { note: 'on it', via: 'cli' } });
    expect(records.find((r) => r.kind === 'email' && r.customerId === 'x-1')?.details).toMatchObject({ recipients: ['compliance@example.com'], messageId: expect.any(String) });

    // One customer, a period that ends before anything happened, CSV into a file.
    expect((await cli(['export', '--customer', 'x-1'])).stdout.trim().split('\n')).toHaveLength(6);
    expect((await cli(['export', '--to', '2020-01-01'])).stdout).toBe('');
    const file = `${f.t.url.split('/').pop() ?? 'x'}.csv`;
    const path = `/tmp/${file}`;
    const csv = await cli(['export', '--format', 'csv', '--out', path, '--from', new Date(Date.now() - 3_600_000).toISOString()]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stderr).toContain(`exported ${records.length} record(s) to ${path}`);
    const { readFile, rm } = await import('node:fs/promises');
    const text = await readFile(path, 'utf8');
    await rm(path);
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('at,kind,customer_id,purpose,document_type,document_name,case_id,actor,details');
    expect(lines).toHaveLength(records.length + 1);
    expect(text).toContain(`'=HYPERLINK(""http://evil"")`);
    expect(text).not.toMatch(/,=HYPERLINK/);

    const bad = await Promise.all([cli(['export', '--from', 'yesterday']), cli(['export', '--format', 'xml']), cli(['export', '--from', '2026-02-01', '--to', '2026-01-01'])]);
    expect(bad.map((r) => r.code)).toEqual([2, 2, 2]);
  });
});
