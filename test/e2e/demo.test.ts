import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dropDatabase } from '../../src/store/migrations.js';
import { testQueuePrefix } from '../support/db.js';
import { freePort } from '../support/servers.js';

// `npm run demo` briefly, on free ports and a database of its own: an alert email must arrive.

const url = new URL(inject('templateDatabaseUrl'));
url.pathname = `/kyc_test_${inject('runId')}_demo${randomBytes(3).toString('hex')}`;
afterAll(() => dropDatabase(url.toString()));

describe('npm run demo', () => {
  it('brings up the stack and saves an alert email', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kyc-demo-'));
    const mailDir = path.join(dir, 'mail');
    const script = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));
    const args = ['--disable-warning=ExperimentalWarning', script, '--duration', '15', '--mail-dir', mailDir, '--sandbox-port', String(await freePort()), '--smtp-port', String(await freePort()), '--http-port', '0', '--scan-every', '5'];
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url.toString(), REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: testQueuePrefix() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, output).toBe(0);
    const emails = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    expect(emails.length, output).toBeGreaterThanOrEqual(1);
    expect(readFileSync(path.join(mailDir, emails[0] ?? ''), 'utf8')).toMatch(/^Subject: KYC alert: \d+ documents? of \d+ customers?/m);
    expect(output).toMatch(/demo: email 1: "KYC alert/);
  });
});
