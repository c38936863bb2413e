import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dropDatabase } from '../../src/store/migrations.js';
import { testQueuePrefix } from '../support/db.js';
import { freePort } from '../support/servers.js';

// `npm run demo` as a child process, on free ports and a database of its own: an alert email
// must arrive; a busy port stops it at once, naming the port and the option to change it.

const url = new URL(inject('templateDatabaseUrl'));
url.pathname = `/kyc_test_${inject('runId')}_demo${randomBytes(3).toString('hex')}`;
afterAll(() => dropDatabase(url.toString()));

const script = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));

function runDemo(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url.toString(), REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: testQueuePrefix() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('npm run demo', () => {
  it('brings up the stack, says how to stop it, and saves an alert email', async () => {
    const mailDir = path.join(mkdtempSync(path.join(tmpdir(), 'kyc-demo-')), 'mail');
    const webPort = await freePort();
    const { code, output } = await runDemo(['--duration', '15', '--mail-dir', mailDir, '--sandbox-port', String(await freePort()), '--smtp-port', String(await freePort()), '--http-port', String(await freePort()), '--web-port', String(webPort), '--scan-every', '5']);
    expect(code, output).toBe(0);
    expect(output).toMatch(/Ctrl-C/);
    const emails = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    expect(emails.length, output).toBeGreaterThanOrEqual(1);
    const subject = /^[A-Z&]+(\/[A-Z&]+)* alert: \d+ [a-z ]+(, \d+ [a-z ]+)* — \d+ customers?$/;
    const mail = await simpleParser(readFileSync(path.join(mailDir, emails[0] ?? '')));
    expect(mail.subject).toMatch(subject);
    // Each case links to its page, served by the demo's worker while it ran.
    expect(mail.text).toMatch(new RegExp(`Acknowledge case #\\d+: http://127\\.0\\.0\\.1:${webPort}/cases/\\d+\\?t=`));
    expect(output).toContain(`each case in an email links to its page on http://127.0.0.1:${webPort}`);
    expect(output).toMatch(/demo: email 1: "[A-Z&/]+ alert: .* — \d+ customers?" saved to /);
    expect(output).toMatch(/demo: stopped; \d+ email\(s\) received/);
    // Time runs a day every 5 s for the sandbox's world and the worker alike: expiry warnings come with the first scan.
    expect(output).toContain('time runs 17280 times faster than real time (a day every 5 s)');
    expect(output).toMatch(/demo: email \d+: ".* alert: .*\d+ expiring soon — \d+ customers?"/);
  });

  it.each([
    [['--smtp-port', 'abc'], /--smtp-port must be a whole number from 1 to 65535, not "abc"/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with exit code 2 and the usage', async (args, message) => {
    const { code, output } = await runDemo(args);
    expect(code, output).toBe(2);
    expect(output).toMatch(message);
    expect(output).toMatch(/usage: npm run demo/);
    expect(output).not.toMatch(/\n\s+at /);
  });

  // Whatever holds the port answers HTTP, as another program would: the demo must not take it for its own.
  describe.each(['--sandbox-port', '--smtp-port', '--http-port', '--web-port'])('with the port of %s busy', (option) => {
    let holder: Server | undefined;
    afterAll(() => new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve())));

    it('stops at once with one line naming the port and the option, and starts nothing', async () => {
      holder = createServer((_req, res) => res.end('[]'));
      await new Promise<void>((resolve) => holder?.listen(0, '127.0.0.1', () => resolve()));
      const busy = (holder.address() as { port: number }).port;
      const ports: Record<string, string> = {
        '--sandbox-port': String(await freePort()),
        '--smtp-port': String(await freePort()),
        '--http-port': String(await freePort()),
        '--web-port': String(await freePort()),
        [option]: String(busy),
      };
      const mailDir = path.join(mkdtempSync(path.join(tmpdir(), 'kyc-demo-')), 'mail');
      const { code, output } = await runDemo(['--duration', '20', '--mail-dir', mailDir, ...Object.entries(ports).flat()]);
      expect(code, output).toBe(2);
      expect(output).toMatch(new RegExp(`port ${busy} .*busy.*${option} `));
      expect(output).not.toMatch(/\n\s+at /);
      expect(output).not.toMatch(/demo: (sandbox|running)/);
    });
  });
});
