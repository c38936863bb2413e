import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { BIN, baseEnv, runCli as runOneCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { csvRows, TestSmtpServer } from '../support/smtp.js';

// Fault 7: hostile input from the operator's side (ids, import files, configuration) and from
// the API's side (document fields that try HTML, header injection and spreadsheet formulas).

let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let env: NodeJS.ProcessEnv;
const dir = mkdtempSync(path.join(tmpdir(), 'kyc-hostile-'));
// Most of this file's time is CLI processes (each about half a second of CPU to start): those
// that are independent of each other run a few at a time, through this one gate.
const processes = pLimit(4);
const runCli: typeof runOneCli = (...args) => processes(() => runOneCli(...args));

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await new Sandbox({ customers: 0, accessToken: 'hostile-access-token' }).start();
  smtp = await new TestSmtpServer().start();
  env = baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: 'hostile-access-token',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    HTTP_PORT: '0',
  });
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
  await t.drop();
});

const HOSTILE_IDS = ['..', '%2e%2e', 'a/b', 'x?y#', 'x'.repeat(500), 'bad\u0001id', 'new\nline', 'tab\tid', '-rf', ' leading', 'é-accent', ''];

describe('hostile customer ids', () => {
  // Each id's refusal is the pure rule's (test/unit/small-pieces.test.ts lists every one of them);
  // here, the commands: `track add` and `track remove` take them all at once and must name each
  // (a good id among them is not written either), `history` takes one id a process.
  it.concurrent.each(['track add', 'track remove'])('%s refuses them all with exit 2, naming each, before any request or write', async (command) => {
    const result = await runCli([...command.split(' '), '--', 'good-id', ...HOSTILE_IDS], env);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.match(/^kyc-monitor: customer id /gm)).toHaveLength(HOSTILE_IDS.length);
    expect(result.stderr).not.toContain('"good-id"');
    expect(sandbox.stats.requests).toBe(0);
    expect(await t.db.trackedCustomer.count()).toBe(0);
  });

  it.concurrent('history refuses each with exit 2, before any request or read', async () => {
    const results = await Promise.all(HOSTILE_IDS.map((id) => runCli(['history', '--', id], env)));
    for (const [i, result] of results.entries()) {
      expect(result.code, JSON.stringify(HOSTILE_IDS[i])).toBe(2);
      expect(result.stderr).toMatch(/^kyc-monitor: customer id /m);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(sandbox.stats.requests).toBe(0);
  });
});

describe('hostile import files', () => {
  it('lists each bad line by number and imports nothing; --skip-invalid imports the rest', async () => {
    const file = path.join(dir, 'mixed.txt');
    writeFileSync(file, ['ok-1', '..', '%2e%2e', 'ok-2', 'a/b', 'x?y#', 'x'.repeat(500), 'bad\u0001id', `${'y'.repeat(70_000)}`, 'ok-3'].join('\r\n'));
    const refused = await runCli(['track', 'import', file], env);
    expect(refused.code).toBe(2);
    for (const line of [2, 3, 5, 6, 7, 8, 9]) expect(refused.stderr).toMatch(new RegExp(`line ${line}: `));
    expect(refused.stderr).toMatch(/line 9: line longer than 65536 characters/);
    expect(refused.stderr).toMatch(/7 invalid line\(s\): nothing imported/);
    expect(await t.db.trackedCustomer.count()).toBe(0);
    const skipped = await runCli(['track', 'import', '--skip-invalid', file], env);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect((await t.db.trackedCustomer.findMany({ orderBy: { customerId: 'asc' } })).map((c) => c.customerId)).toEqual(['ok-1', 'ok-2', 'ok-3']);
    await t.db.trackedCustomer.deleteMany();
  });

  // The next three import nothing: they run side by side.
  it.concurrent('an empty input (a failed download in a pipe), a missing file', async () => {
    const empty = path.join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const cases = [[['track', 'import', empty], undefined], [['track', 'import', '-'], ''], [['track', 'import', '-'], '\n\n']] as const;
    const [missing, ...results] = await Promise.all([runCli(['track', 'import', path.join(dir, 'nope.csv')], env), ...cases.map(([args, input]) => runCli([...args], env, input))]);
    for (const [i, result] of results.entries()) {
      expect(result.code, cases[i]?.[0].join(' ')).toBe(2);
      expect(result.stderr).toMatch(/no customer ids in the input: nothing imported/);
    }
    expect(missing?.code).toBe(2);
    expect(missing?.stderr).toMatch(/cannot read .*nope\.csv: ENOENT/);
  });

  it.concurrent('refuses a CSV without a recognisable id column, naming its columns and the accepted names', async () => {
    const result = await runCli(['track', 'import', '-'], env, 'name,client_ref\nBob,h-1\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/columns are "name", "client_ref"/);
    expect(result.stderr).toMatch(/customerId, customer_id, customer or id/);
    expect(result.stderr).toMatch(/nothing imported/);
    expect(await t.db.trackedCustomer.count()).toBe(0);
  });

  it.concurrent('reports malformed CSV by line and goes on', async () => {
    const result = await runCli(['track', 'import', '-'], env, 'customerId,note\nq-1,"fine"\nq-2,"bad"quote\nq-3,ok\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 3: not valid CSV/);
    expect(result.stderr).toMatch(/1 invalid line\(s\): nothing imported \(.*2 valid id/);
  });

  // Each accepted header name (id, customer_id, customer, customerId after a BOM …) is recognised
  // by the reader in test/unit/read-ids.test.ts; here, one CSV from stdin through csv-parse
  // (quotes, a comma in a field) all the way to the database.
  it('imports a CSV from stdin by its id column', async () => {
    const result = await runCli(['track', 'import', '-'], env, 'name,CUSTOMERID,note\n"Doe, Jane",h-1,"said ""hi"""\nBob,h-2,\n');
    expect(result.code, result.stderr).toBe(0);
    expect((await t.db.trackedCustomer.findMany({ orderBy: { customerId: 'asc' } })).map((c) => c.customerId)).toEqual(['h-1', 'h-2']);
    await t.db.trackedCustomer.deleteMany();
  });

  it('streams a 1 GB input (one endless line, then long lines) in bounded memory', { timeout: 300_000 }, async () => {
    const MB = 1024 * 1024;
    const endless = Buffer.alloc(MB, 'z');
    const longLines = Buffer.from(`${'w'.repeat(1023)}\n`.repeat(1024));
    let sent = 0;
    const input = new Readable({
      read() {
        if (sent >= 1024) return void this.push(null);
        // 512 MB without a line break, a break, then 512 MB of 1 KB lines.
        this.push(sent < 512 ? endless : sent === 512 ? Buffer.concat([Buffer.from('\n'), longLines]) : longLines);
        sent++;
      },
    });
    const child = spawn(BIN, ['track', 'import', '-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let peakKb = 0;
    const sampler = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        // exited
      }
    }, 50);
    input.pipe(child.stdin);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(sampler);
    expect(code).toBe(2);
    expect(stderr).toMatch(/line 1: line longer than 65536 characters/);
    expect(stderr).toMatch(/line 2: customer id "w{10}/);
    expect(stderr).toMatch(/524289 invalid line\(s\): nothing imported/);
    expect(peakKb / 1024, 'peak RSS in MB').toBeLessThan(300);
    expect(await t.db.trackedCustomer.count()).toBe(0);
  });
});

describe('bad configuration', () => {
  // Refused before anything is opened: side by side.
  it.concurrent.each([
    ['both X and X_FILE', { CYREXA_ACCESS_TOKEN: 'a', CYREXA_ACCESS_TOKEN_FILE: '/etc/hostname' }, /CYREXA_ACCESS_TOKEN.*both/],
    ['an unreadable file', { CYREXA_ACCESS_TOKEN: undefined, CYREXA_ACCESS_TOKEN_FILE: '/nonexistent/token' }, /CYREXA_ACCESS_TOKEN_FILE/],
    ['a bad URL', { CYREXA_BASE_URL: 'not a url' }, /CYREXA_BASE_URL/],
    ['a bad cron', { SCAN_CRON: '61 * * * *' }, /SCAN_CRON/],
    ['an unknown time zone', { SCAN_TIMEZONE: 'Mars/Olympus' }, /SCAN_TIMEZONE/],
    ['a bad REDIS_URL', { REDIS_URL: 'http://[bad' }, /REDIS_URL/],
  ])('%s: exit 2 naming the variable, no stack trace', async (_what, over, pattern) => {
    const result = await runCli(['scan'], { ...env, ...over });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('hostile-access-token');
  });
});

// ESC [2J (clear screen), CR, BEL, an OSC 52 clipboard write, a C1 CSI, a bidi override, DEL.
const HOSTILE = 'x\u001b[2J\ry\u0007\u001b]52;c;aGVsbG8=\u0007z\u009b31m\u202Eevil\u007f';
/** Every character a terminal may act on, but the line break and tab. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('hostile data from the API', () => {
  // One scan brings in both customers' documents: fields that try HTML, header injection and
  // spreadsheet formulas (evil-1), and control characters (ctl-1).
  let scan: CliResult;
  beforeAll(async () => {
    await t.db.trackedCustomer.createMany({ data: [{ customerId: 'evil-1' }, { customerId: 'ctl-1' }] });
    sandbox.setDocuments('evil-1', [
      {
        purpose: 'KYC\r\nBcc: thief@example.net',
        name: '<script>alert(1)</script>\r\nSubject: pwned',
        documentType: 'Passport',
        location: 'javascript:alert(1)',
        verificationResponse: '=HYPERLINK("http://evil.example","click")',
        status: 'expired',
      },
      { purpose: 'KYB', name: '+cmd|calc', documentType: 'selfie', location: '/s', verificationResponse: '@SUM(1+1)\n-2+3', status: 'declined' },
    ]);
    sandbox.setDocuments('ctl-1', [{ purpose: `KYC${HOSTILE}`, name: `name${HOSTILE}`, documentType: `Passport${HOSTILE}`, location: '/c', verificationResponse: `resp${HOSTILE}`, status: `verified${HOSTILE}` }]);
    scan = await runCli(['scan', '--json'], env);
  });

  it('document fields are escaped in HTML, cannot inject mail headers, and are neutralised in the CSV', () => {
    expect(scan.code, scan.stderr).toBe(0);
    // evil-1's two documents; ctl-1's status is not one that alerts.
    expect(JSON.parse(scan.stdout)).toMatchObject({ alerts: 2 });
    const mails = smtp.messages.filter((m) => m.parsed.attachments.length > 0);
    expect(mails.length).toBeGreaterThan(0);
    for (const mail of mails) {
      expect(mail.envelope.to.every((to) => to === 'compliance@example.com')).toBe(true);
      expect(mail.parsed.headers.has('bcc')).toBe(false);
      expect(String(mail.parsed.subject)).not.toMatch(/pwned|[\r\n]/);
      const headerBlock = mail.raw.split('\r\n\r\n')[0] ?? '';
      expect(headerBlock).not.toMatch(/^(Bcc|Subject: pwned)/im);
      expect(mail.parsed.html).not.toContain('<script>');
      expect(mail.parsed.html).toContain('&lt;script&gt;');
      expect(mail.parsed.html).not.toMatch(/href=["']?javascript:/i);
    }
    const rows = mails.flatMap((m) => csvRows(m));
    const cells = rows.flatMap((r) => Object.values(r));
    expect(cells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    expect(cells).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(cells).toContain(`'+cmd|calc`);
    expect(cells).toContain(`'@SUM(1+1)\n-2+3`);
  });

  it('control characters: history and track list neutralise them; --json keeps the exact stored value', async () => {
    expect(scan.code, scan.stderr).toBe(0);
    await t.db.trackedCustomer.update({ where: { customerId: 'ctl-1' }, data: { lastError: `last error${HOSTILE}` } });

    // Four reads of the same rows, side by side.
    const [history, list, historyJsonRun, listJsonRun] = await Promise.all([['history', 'ctl-1'], ['track', 'list'], ['history', 'ctl-1', '--json'], ['track', 'list', '--json']].map((args) => runCli(args, env)));
    expect(history?.code, history?.stderr).toBe(0);
    expect(history?.stdout).toContain('verified');
    expect(history?.stdout).not.toMatch(RAW_CONTROL);
    expect(list?.code, list?.stderr).toBe(0);
    expect(list?.stdout).toContain('last error');
    expect(list?.stdout).not.toMatch(RAW_CONTROL);

    const historyJson = JSON.parse(historyJsonRun?.stdout ?? '') as { events: Array<{ name: string; newStatus: string; verificationResponse: string }> };
    expect(historyJson.events[0]).toMatchObject({ name: `name${HOSTILE}`, newStatus: `verified${HOSTILE}`, verificationResponse: `resp${HOSTILE}` });
    const listJson = JSON.parse(listJsonRun?.stdout ?? '') as Array<{ customerId: string; lastError: string }>;
    expect(listJson.find((c) => c.customerId === 'ctl-1')?.lastError).toBe(`last error${HOSTILE}`);
  });

  it('control characters: the kyc-monitor: lines on stderr neutralise them too', async () => {
    const result = await runCli(['scan'], { ...env, SCAN_TIMEZONE: `Mars${HOSTILE}` });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^kyc-monitor: configuration: SCAN_TIMEZONE/m);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
  });
});
