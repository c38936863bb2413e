import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { dropDatabase, loadMigrations } from '../../src/store/migrations.js';
import { BIN, baseEnv, runCli, runProcess, startCli, type CliResult, type RunningCli } from '../support/cli.js';
import { testQueuePrefix } from '../support/db.js';
import { freePort } from '../support/servers.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

// The product end to end: the CLI as a child process against the sandbox over HTTP, real
// Postgres and Redis, and a real SMTP server. The steps build on each other.

const SECRETS = {
  accessToken: 'e2e-access-token-5f3a9b',
  tokenHeader: 'e2e-token-header-9c1d77',
  clientSecret: 'e2e-client-secret-4242aa',
  dbPassword: 'e2e-db-password-7731',
  smtpPassword: 'e2e-smtp-password-0b0b',
};

let sandbox: Sandbox;
let smtp: TestSmtpServer;
let databaseUrl: string;
let env: NodeJS.ProcessEnv;
const transcripts: string[] = [];

const doc = (name: string, status: string, purpose = 'KYC') => ({
  purpose,
  name,
  documentType: name === 'passport' ? 'Passport' : 'ID front side',
  location: `https://files.example/${name}.pdf?signature=${randomBytes(4).toString('hex')}`,
  verificationResponse: `${name} is ${status}`,
  status,
  metadata: [],
});

async function cli(args: string[], extraEnv: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> {
  const result = await runCli(args, { ...env, ...extraEnv }, input);
  transcripts.push(result.stdout, result.stderr);
  return result;
}

/**
 * Waits for the worker to start a scan of `trigger` and for that scan (not another one, such
 * as one a stopped worker left running and this one finished) to end; returns its id.
 */
async function waitForScanEnd(worker: RunningCli, trigger: string, status = 'completed'): Promise<string> {
  const started = await worker.waitForOutput(new RegExp(`"scanId":"[0-9a-f-]+","trigger":"${trigger}"[^\\n]*"msg":"scan started"`));
  const scanId = /"scanId":"([0-9a-f-]+)"/.exec(started)?.[1] ?? '';
  await worker.waitForOutput(new RegExp(`"scanId":"${scanId}","status":"${status}"[^\\n]*"msg":"scan (completed|failed)"`));
  return scanId;
}

async function runningScans(): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM scans WHERE status = 'running'")).rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

function csvRows(mail: ReceivedMail | undefined): Array<Record<string, string>> {
  return parse(mail?.parsed.attachments[0]?.content.toString('utf8') ?? '', { columns: true }) as Array<Record<string, string>>;
}

beforeAll(async () => {
  sandbox = await new Sandbox({ tenantId: 'tenant-e2e', accessToken: SECRETS.accessToken, tokenHeader: SECRETS.tokenHeader, clientId: 'e2e-client', clientSecret: SECRETS.clientSecret, customers: 0 }).start();
  smtp = await new TestSmtpServer({ starttls: true, onAuth: (auth, _s, cb) => cb(null, { user: auth.username }) }).start();
  const url = new URL(inject('templateDatabaseUrl'));
  url.password = SECRETS.dbPassword; // trust authentication ignores it; the logs must too
  url.username = 'postgres';
  url.pathname = `/kyc_test_${inject('runId')}_e2e${randomBytes(3).toString('hex')}`;
  databaseUrl = url.toString();
  env = baseEnv({
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'tenant-e2e',
    // Retries of transient API failures start after 50 ms instead of 500 (CYREXA_RETRY_BASE_MS).
    CYREXA_RETRY_BASE_MS: '50',
    CYREXA_ACCESS_TOKEN: SECRETS.accessToken,
    CYREXA_TOKEN: SECRETS.tokenHeader,
    CYREXA_MAX_RPS: '200',
    CYREXA_TIMEOUT_MS: '3000',
    SMTP_URL: `smtp://alerts:${SECRETS.smtpPassword}@127.0.0.1:${smtp.port}?tls.rejectUnauthorized=false`,
    ALERT_TO: 'compliance@example.com',
    ALERT_FROM: 'kyc-monitor@example.com',
    HTTP_PORT: '0',
    LOG_LEVEL: 'debug',
  });
});

afterAll(async () => {
  await sandbox?.close();
  await smtp?.close();
  if (databaseUrl) await dropDatabase(databaseUrl);
});

describe('kyc-monitor end to end', () => {
  it('migrate creates the database and applies the migrations; a second run has nothing to do', async () => {
    const first = await cli(['migrate']);
    expect(first.code, first.stderr).toBe(0);
    // Every migration in prisma/migrations, by name.
    const names = (await loadMigrations()).migrationDirectories.map((m) => m.path);
    expect(names.length).toBeGreaterThan(0);
    expect(first.stdout).toContain(`applied ${names.length} migration(s): ${names.join(', ')}`);
    expect((await cli(['migrate'])).stdout).toMatch(/up to date/);
  });

  it('rejects bad ids and bad configuration with exit 2 and no request', async () => {
    for (const id of ['..', '%2e%2e', 'a/b', 'x?y#', 'x'.repeat(500), 'bad\u0001id']) {
      const result = await cli(['track', 'add', id]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/customer id/);
    }
    expect((await cli(['history', '../etc'])).code).toBe(2);
    const config = await cli(['scan'], { ALERT_TO: undefined, CYREXA_TIMEOUT_MS: 'soon' });
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/ALERT_TO is required/);
    expect(config.stderr).toMatch(/CYREXA_TIMEOUT_MS must be a whole number/);
    expect(config.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(sandbox.stats.requests).toBe(0);
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cli(['scan', '--help'])).code).toBe(0);
  });

  it('tracks customers by argument and by import, all-or-nothing', async () => {
    expect((await cli(['track', 'add', 'c-1', 'c-2'])).code).toBe(0);
    const dir = mkdtempSync(path.join(tmpdir(), 'kyc-e2e-'));
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'name,customerId\nthree,c-3\nbad,a/b\nfour,c-4\n');
    const refused = await cli(['track', 'import', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/line 3: customer id "a\/b"/);
    const list = JSON.parse((await cli(['track', 'list', '--json'])).stdout) as Array<{ customerId: string }>;
    expect(list.map((c) => c.customerId)).toEqual(['c-1', 'c-2']);
    const ok = await cli(['track', 'import', '-'], {}, 'c-3\n\nc-4\n');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/imported 2 id/);
  });

  it('alerts test sends a real test email, and says why when it cannot', async () => {
    const sent = await cli(['alerts', 'test']);
    expect(sent.code, sent.stderr).toBe(0);
    await smtp.waitFor(1);
    expect(smtp.messages[0]?.parsed.subject).toBe('kyc-monitor test email');
    expect(smtp.messages[0]?.envelope.to).toEqual(['compliance@example.com']);
    smtp.messages.length = 0;
    const down = await cli(['alerts', 'test'], { SMTP_URL: 'smtp://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/test email not sent: .*ECONNREFUSED/);
  });

  it('baseline: one email for the document already in an alert status', async () => {
    sandbox.setDocuments('c-1', [doc('passport', 'verified'), doc('id-card', 'expired')]);
    sandbox.setDocuments('c-2', [doc('passport', 'underverification')]);
    sandbox.setDocuments('c-3', [doc('passport', 'verified')]);
    sandbox.setDocuments('c-4', [doc('passport', 'verified', 'KYB')]);
    const result = await cli(['scan', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ customers: 4, checked: 4, failed: 0, changes: 5, alerts: 1 });
    expect(typeof summary.scanId).toBe('string');
    await smtp.waitFor(1);
    expect(smtp.messages).toHaveLength(1);
    expect(csvRows(smtp.messages[0])).toEqual([expect.objectContaining({ customer_id: 'c-1', document_name: 'id-card', previous_status: '', new_status: 'expired' })]);
  });

  it('verified→expired and underverification→declined are alerted exactly once, in one email; verified→incomplete is not', async () => {
    sandbox.setDocuments('c-1', [doc('passport', 'expired'), doc('id-card', 'expired')]);
    sandbox.setDocuments('c-2', [doc('passport', 'declined')]);
    sandbox.setDocuments('c-3', [doc('passport', 'incomplete')]);
    const result = await cli(['scan', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ checked: 4, changes: 3, alerts: 2 });
    await smtp.waitFor(2);
    expect(smtp.messages).toHaveLength(2);
    const mail = smtp.messages[1];
    expect(mail?.parsed.subject).toBe('KYC alert: 1 declined, 1 expired — 2 customers');
    expect(mail?.envelope.to).toEqual(['compliance@example.com']);
    const rows = csvRows(mail).map((r) => `${r.customer_id} ${r.document_name} ${r.previous_status}>${r.new_status}`);
    expect(rows.sort()).toEqual(['c-1 passport verified>expired', 'c-2 passport underverification>declined']);
    expect(mail?.parsed.html).toContain('Changed from under verification to <strong');
  });

  it('an unchanged re-scan records and sends nothing', async () => {
    const result = await cli(['scan', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ checked: 4, failed: 0, changes: 0, alerts: 0 });
    expect(smtp.messages).toHaveLength(2);
  });

  it('scan shows a progress bar on a terminal and stays quiet otherwise', async () => {
    // util-linux `script` gives the command a pseudo-terminal.
    const tty = await runProcess('script', ['-qec', `${BIN} scan`, '/dev/null'], env);
    transcripts.push(tty.stdout, tty.stderr);
    expect(tty.stdout).toMatch(/scan \[[^\]]+\] 4\/4 customers \| 0 failed \| 0 alerts/);
    const plain = await cli(['scan']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/customers \|/);
    expect(plain.stdout).toMatch(/^scan \S+ completed in/);
  });

  it('customers whose API calls fail change nothing and alert nothing', async () => {
    sandbox.setDocuments('c-3', [doc('passport', 'declined')]);
    sandbox.setDocuments('c-4', [doc('passport', 'expired', 'KYB')]);
    sandbox.failNext('c-3', '500', 50);
    sandbox.failNext('c-4', 'invalid-json', 50);
    const result = await cli(['scan', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ customers: 4, checked: 2, failed: 2, changes: 0, alerts: 0 });
    expect(smtp.messages).toHaveLength(2);
    const history = JSON.parse((await cli(['history', 'c-3', '--json'])).stdout) as { events: Array<{ kind: string; newStatus: string }> };
    expect(history.events.map((e) => `${e.kind}:${e.newStatus}`)).toEqual(['status_changed:incomplete', 'appeared:verified']);
    const failing = JSON.parse((await cli(['track', 'list', '--json', '--failing'])).stdout) as Array<{ customerId: string; lastError: string }>;
    expect(failing.map((c) => c.customerId)).toEqual(['c-3', 'c-4']);
    expect(failing[0]?.lastError).toMatch(/500/);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { trackedCustomers: number; failingCustomers: { count: number }; alerts: { sent: number } };
    expect(status).toMatchObject({ trackedCustomers: 4, failingCustomers: { count: 2 }, alerts: { sent: 3 } });
    sandbox.clearFailures();
  });

  it('worker: schedules scans, emails a change made while it runs, serves health and metrics, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const worker = startCli(['worker'], {
      ...env,
      HTTP_PORT: String(port),
      SCAN_EVERY_SECONDS: '2',
      ALERT_BATCH_SECONDS: '1',
      // The worker authenticates with client credentials instead of the static token.
      CYREXA_ACCESS_TOKEN: undefined,
      CYREXA_TOKEN_URL: `${sandbox.url}/oauth/token`,
      CYREXA_CLIENT_ID: 'e2e-client',
      CYREXA_CLIENT_SECRET: SECRETS.clientSecret,
    });
    try {
      await worker.waitForOutput(/"msg":"worker started"/);
      const before = smtp.messages.length;
      // The failing customers recovered: their pending changes alert now, and so does this one.
      sandbox.setDocuments('c-2', [doc('passport', 'declined'), doc('proof', 'expired')]);
      await smtp.waitFor(before + 1, 60_000);
      await worker.waitForOutput(/"msg":"alert email sent"/);
      const rows = smtp.messages.slice(before).flatMap(csvRows).map((r) => `${r.customer_id} ${r.document_name} ${r.new_status}`);
      expect(rows).toEqual(expect.arrayContaining(['c-2 proof expired']));
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok', migrations: 'ok' } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      transcripts.push(metrics);
      for (const name of [
        'kyc_monitor_scans_total{outcome="completed"}',
        'kyc_monitor_checks_total{outcome="unchanged"}',
        'kyc_monitor_cyrexa_request_duration_seconds_bucket',
        'kyc_monitor_alerts{status="pending"}',
        'kyc_monitor_alerts{status="sent"}',
        'kyc_monitor_tracked_customers 4',
        'kyc_monitor_last_completed_scan_timestamp_seconds',
        'kyc_monitor_scan_overdue 0',
      ]) {
        expect(metrics, name).toContain(name);
      }
      expect(metrics).not.toMatch(/c-[1-4]/);
    } finally {
      worker.child.kill('SIGTERM');
      const code = await worker.exited;
      transcripts.push(worker.output().stdout, worker.output().stderr);
      expect(code, worker.output().stderr.slice(-2000)).toBe(0);
      // An orderly stop, every step within its share of the deadline (not cut short by it).
      const log = `${worker.output().stdout}${worker.output().stderr}`;
      expect(log).toContain('"msg":"worker stopped"');
      expect(log).not.toMatch(/took too long|still running at the shutdown deadline/);
    }
    expect(sandbox.stats.tokensIssued).toBeGreaterThanOrEqual(1);
  });

  it('worker: after downtime that missed a cron tick, runs one catch-up scan', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query("UPDATE scans SET started_at = started_at - interval '2 days'");
    } finally {
      await client.end();
    }
    const worker = startCli(['worker'], { ...env, SCAN_CRON: '0 6 * * *', SCAN_TIMEZONE: 'Europe/Berlin' });
    let scanId: string | undefined;
    try {
      await worker.waitForOutput(/"msg":"catch-up scan queued"/);
      scanId = await waitForScanEnd(worker, 'catch-up');
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      transcripts.push(worker.output().stdout, worker.output().stderr);
    }
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { lastScans: Array<{ scanId: string; trigger: string; status: string }> };
    expect(status.lastScans[0]).toMatchObject({ scanId, trigger: 'catch-up', status: 'completed' });
    expect(await runningScans(), worker.output().stderr.slice(-3000)).toBe(0);
  });

  it('worker: a tick skipped while another scan runs is made up once, when that scan ends', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // A scan of another process, alive (its lease is fresh), running since before the last tick.
      await client.query("UPDATE scans SET started_at = started_at - interval '3 days'");
      await client.query(
        "INSERT INTO scans (id, trigger, status, running_slot, started_at, lease_until) VALUES (gen_random_uuid(), 'manual', 'running', 1, now() - interval '2 days', now() + interval '1 hour')",
      );
      const worker = startCli(['worker'], { ...env, SCAN_CRON: '0 6 * * *' });
      try {
        await worker.waitForOutput(/"msg":"worker started"/);
        expect(worker.output().stderr).not.toMatch(/catch-up scan queued/);
        await client.query("UPDATE scans SET status = 'interrupted', running_slot = NULL, finished_at = now() WHERE status = 'running'");
        await waitForScanEnd(worker, 'catch-up');
      } finally {
        worker.child.kill('SIGTERM');
        expect(await worker.exited).toBe(0);
        transcripts.push(worker.output().stdout, worker.output().stderr);
      }
      const catchUps = await client.query("SELECT count(*)::int AS n FROM scans WHERE trigger = 'catch-up' AND started_at > now() - interval '1 hour'");
      expect(catchUps.rows[0]?.n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('worker: rejected credentials give one operations alert, and scans not completing raise the overdue warning', async () => {
    sandbox.failNext(null, '401', 1_000_000);
    const port = await freePort();
    const worker = startCli(['worker'], { ...env, SCAN_EVERY_SECONDS: '1', ALERT_BATCH_SECONDS: '0', OPS_ALERT_TO: 'ops@example.com', HTTP_PORT: String(port) });
    const opsMails = () => smtp.messages.filter((m) => m.envelope.to.includes('ops@example.com'));
    try {
      await worker.waitForOutput(/scans are overdue/);
      await worker.waitForOutput(/"status":"failed"[^\n]*"msg":"scan failed"/);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('kyc_monitor_scan_overdue 1');
      expect(metrics).toMatch(/kyc_monitor_scans_total\{outcome="failed"\} [1-9]/);
      const deadline = Date.now() + 30_000;
      while (opsMails().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      // Several failed scans later, still one email for the incident.
      const failedScans = () => (worker.output().stderr.match(/Cyrexa rejected the credentials: scan stopped/g) ?? []).length;
      while (failedScans() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(failedScans()).toBeGreaterThanOrEqual(3);
      expect(opsMails().map((m) => m.parsed.subject)).toEqual(['kyc-monitor: Cyrexa rejected the API credentials']);
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      transcripts.push(worker.output().stdout, worker.output().stderr);
      sandbox.clearFailures();
    }
  });

  it('no log line or error output of the whole run holds a secret', () => {
    const everything = transcripts.join('\n');
    expect(everything).toMatch(/"level":20/); // debug logs were captured
    for (const [name, secret] of Object.entries(SECRETS)) expect(everything.includes(secret), name).toBe(false);
  });
});
