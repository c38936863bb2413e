import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BIN, baseEnv, runCli, runProcess, startCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';

// A newcomer's first hour (issue 11, items 6 and 8): the CLI as a child process, as a person
// runs it from the checkout — piped into `head`, before `migrate`, on a busy port, asking
// for --help and --version.

const ROOT = path.resolve(path.dirname(BIN), '..');

let t: TestDatabase;
let empty: TestDatabase;
let env: NodeJS.ProcessEnv;
let busy: Server;
let busyPort: number;

/** The command with its stdout a pipe whose reader is gone before the command writes anything. */
function runWithReaderGone(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: '', stderr }));
  });
}

beforeAll(async () => {
  [t, empty] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  env = baseEnv({ DATABASE_URL: t.url, REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: testQueuePrefix() });
  // More than a pipe's buffer holds (64 KiB): `track list | head` must find its reader gone.
  const ids = Array.from({ length: 3000 }, (_, i) => ({ customerId: `cust-${String(i).padStart(5, '0')}` }));
  await t.db.trackedCustomer.createMany({ data: ids });
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => busy?.close(() => resolve()));
  await Promise.all([t?.drop(), empty?.drop()]);
});

describe('a reader that goes away (item 6)', () => {
  it('`track list | head -3` prints three lines and ends quietly with exit 0', async () => {
    const result = await runProcess('bash', ['-c', 'set -o pipefail; "$0" track list | head -3', BIN], env);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toHaveLength(3);
    expect(result.code).toBe(0);
  });

  it('every command whose stdout is closed ends quietly with exit 0, no stack', async () => {
    const commands = [['track', 'list', '--json'], ['history', 'cust-00001'], ['status', '--json'], ['--help']];
    const results = await Promise.all(commands.map((args) => runWithReaderGone(args)));
    for (const [i, result] of results.entries()) {
      expect({ command: commands[i]?.join(' '), code: result.code, stderr: result.stderr }).toEqual({ command: commands[i]?.join(' '), code: 0, stderr: '' });
    }
  });
});

describe('messages that leave no one guessing (item 8)', () => {
  it('before `migrate`, on a database that does not exist: says to run `kyc-monitor migrate`', async () => {
    const url = new URL(t.url);
    url.pathname = `${url.pathname}_never_made`;
    const [status, add] = await Promise.all([runCli(['status'], { ...env, DATABASE_URL: url.toString() }), runCli(['track', 'add', 'cust-1'], { ...env, DATABASE_URL: url.toString() })]);
    for (const result of [status, add]) {
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/database "[^"]+_never_made" does not exist: run `kyc-monitor migrate`/);
    }
  });

  it('a scan of no customers says how to track some', async () => {
    const result = await runCli(['scan'], {
      ...env,
      DATABASE_URL: empty.url,
      CYREXA_BASE_URL: 'http://127.0.0.1:9',
      CYREXA_TENANT_ID: 'tenant',
      CYREXA_ACCESS_TOKEN: 'first-hour-token',
      ALERT_TO: 'compliance@example.com',
      SMTP_URL: 'smtp://127.0.0.1:9',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('no customers are tracked');
    expect(result.stdout).toContain('kyc-monitor track add');
    expect(result.stdout).toContain('kyc-monitor track import');
  });

  it('`track remove` names the ids that were not tracked', async () => {
    const result = await runCli(['track', 'remove', 'nobody', 'cust-00002'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('stopped tracking 1 customer(s)');
    expect(result.stdout).toContain('"nobody" was not tracked');
    expect(result.stdout).not.toContain('cust-00002');
  });

  it('a busy port is one line naming the port and the option to change it', async () => {
    const [sandbox, worker] = await Promise.all([
      runCli(['sandbox', '--port', String(busyPort)], env),
      runCli(['worker'], {
        ...env,
        HTTP_PORT: String(busyPort),
        CYREXA_TENANT_ID: 'tenant',
        CYREXA_ACCESS_TOKEN: 'first-hour-token',
        ALERT_TO: 'compliance@example.com',
        SMTP_URL: 'smtp://127.0.0.1:9',
        LOG_LEVEL: 'silent',
      }),
    ]);
    expect(sandbox.code).toBe(1);
    expect(sandbox.stderr).toBe(`kyc-monitor: port ${busyPort} on 127.0.0.1 is in use: choose another with --port\n`);
    expect(worker.code).toBe(1);
    expect(worker.stderr).toBe(`kyc-monitor: HTTP_PORT ${busyPort} is in use: set HTTP_PORT to a free port (0 turns the HTTP server off)\n`);
  });

  it("the sandbox's banner prints commands that work from the checkout", async () => {
    const sandbox = startCli(['sandbox', '--port', '0', '--customers', '3'], env);
    try {
      await sandbox.waitForOutput(/track import/);
      const banner = sandbox.output().stdout;
      const lines = banner.split('\n').map((l) => l.trim());
      const exports = lines.find((l) => l.startsWith('export CYREXA_BASE_URL='));
      const importLine = lines.find((l) => l.includes('track import'));
      expect(importLine).toMatch(/\| \.\/bin\/kyc-monitor track import -$/);
      // Run as printed, from the checkout, with only the database set beforehand.
      const result = await runProcess('bash', ['-c', `set -eo pipefail; cd "$0"; ${exports}; ${importLine}; ./bin/kyc-monitor track list --json`, ROOT], { ...env, DATABASE_URL: empty.url });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('imported 3 id(s)');
    } finally {
      sandbox.child.kill('SIGTERM');
      await sandbox.exited;
    }
  });

  it('--version prints the version of package.json', async () => {
    const result = await runCli(['--version'], env);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(result).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it("--help of each command lists the environment variables it reads, from the sections it loads", async () => {
    const [scan, add, flush, test, sandbox] = await Promise.all([
      runCli(['scan', '--help'], env),
      runCli(['track', 'add', '--help'], env),
      runCli(['alerts', 'flush', '--help'], env),
      runCli(['alerts', 'test', '--help'], env),
      runCli(['sandbox', '--help'], env),
    ]);
    for (const result of [scan, add, flush, test, sandbox]) expect(result.code).toBe(0);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'CYREXA_TENANT_ID', 'CYREXA_MAX_RPS', 'CHECK_CONCURRENCY', 'ALERT_STATUSES', 'SMTP_URL', 'ALERT_TO', 'LOG_LEVEL']) {
      expect(scan.stdout).toContain(name);
    }
    expect(scan.stdout).toMatch(/DATABASE_URL_FILE|DATABASE_URL\[_FILE\]/);
    expect(add.stdout).toContain('DATABASE_URL');
    expect(add.stdout).not.toContain('SMTP_URL');
    expect(add.stdout).not.toContain('CYREXA_');
    expect(flush.stdout).toContain('SMTP_URL');
    expect(flush.stdout).toContain('DATABASE_URL');
    expect(flush.stdout).not.toContain('CYREXA_TENANT_ID');
    expect(test.stdout).toContain('SMTP_URL');
    expect(test.stdout).not.toContain('DATABASE_URL');
    expect(sandbox.stdout).not.toContain('DATABASE_URL');
  });
});
