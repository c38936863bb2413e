import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import type { SandboxDocument } from '../../src/sandbox/generator.js';
import { Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { baseEnv, runCli, type RunningCli } from './cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from './db.js';
import { TestSmtpServer } from './smtp.js';

// What the fault tests that run `scan` as a child process share: a sandbox and an SMTP server
// for the file, a database and a queue prefix of each test's own, and processes that a test
// left running killed when it ends.

export interface ScanFixture {
  readonly t: TestDatabase;
  readonly sandbox: Sandbox;
  readonly smtp: TestSmtpServer;
  /** Processes to kill when the test ends (the test may leave them running when it fails). */
  readonly running: RunningCli[];
  env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
  /** `scan --json` with `extra` settings: its exit code, output, and the parsed summary. */
  scanJson(extra?: Record<string, string | undefined>, timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | null }>;
  /** `scan --json`'s parsed summary; an error with the end of stderr when it printed none. */
  scanSummary(extra?: Record<string, string | undefined>): Promise<Record<string, number | string>>;
  /** Tracks the ids (their documents are the test's to set). */
  trackIds(ids: readonly string[]): Promise<void>;
  /** Tracks the ids, each with one passport in `status`. */
  track(ids: readonly string[], status?: string): Promise<void>;
}

/** `n` documents of one customer, every `expiredEvery`th expired (0: none), of both purposes and types. */
export function manyDocuments(id: string, n: number, expiredEvery = 0): SandboxDocument[] {
  return Array.from({ length: n }, (_, i) => ({
    purpose: i % 3 === 0 ? 'KYB' : 'KYC',
    documentType: i % 2 === 0 ? 'Passport' : 'selfie',
    name: `${id}-document-${i}`,
    location: `https://files.example/${id}/${i}.pdf?sig=${i}`,
    verificationResponse: `checked by the sandbox, document ${i}`,
    status: expiredEvery > 0 && i % expiredEvery === 0 ? 'expired' : 'verified',
    metadata: [],
  }));
}

/** `sandbox`: options of the fixture's sandbox (by default no generated customer, real time). */
export function scanFixture(settings: Record<string, string> = {}, sandboxOptions: SandboxOptions = {}): ScanFixture {
  let t: TestDatabase | undefined;
  let sandbox: Sandbox | undefined;
  let smtp: TestSmtpServer | undefined;
  let prefix = '';
  const running: RunningCli[] = [];
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`scan fixture: ${what} is only there inside a test`);
    return value;
  };

  beforeAll(async () => {
    sandbox = await new Sandbox({ customers: 0, ...sandboxOptions }).start();
    smtp = await new TestSmtpServer().start();
  });
  afterAll(async () => {
    await sandbox?.close();
    await smtp?.close();
  });
  beforeEach(async () => {
    t = await createTestDatabase();
    prefix = testQueuePrefix();
    sandbox?.clearFailures();
    sandbox?.answerAsTenant(null, undefined);
    if (sandbox) sandbox.options.latencyMs = 0;
  });
  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    await t?.drop();
  });

  const fixture: ScanFixture = {
    get t() {
      return need(t, 'the database');
    },
    get sandbox() {
      return need(sandbox, 'the sandbox');
    },
    get smtp() {
      return need(smtp, 'the SMTP server');
    },
    running,
    env(extra = {}) {
      return baseEnv({
        DATABASE_URL: fixture.t.url,
        REDIS_URL: inject('redisUrl'),
        QUEUE_PREFIX: prefix,
        CYREXA_BASE_URL: fixture.sandbox.url,
        CYREXA_TENANT_ID: 'sandbox-tenant',
        CYREXA_ACCESS_TOKEN: 'scan-fixture-token',
        CYREXA_MAX_RPS: '2000',
        CYREXA_TIMEOUT_MS: '2000',
        // Retries of transient API failures start after 50 ms instead of 500.
        CYREXA_RETRY_BASE_MS: '50',
        SMTP_URL: fixture.smtp.url,
        ALERT_TO: 'compliance@example.com',
        OPS_ALERT_TO: 'ops@example.com',
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        ...settings,
        ...extra,
      });
    },
    async scanJson(extra = {}, timeoutMs = 180_000) {
      const result = await runCli(['scan', '--json'], fixture.env(extra), undefined, timeoutMs);
      return { ...result, json: result.stdout.trim() ? (JSON.parse(result.stdout) as Record<string, unknown>) : null };
    },
    async scanSummary(extra = {}) {
      const result = await fixture.scanJson(extra);
      if (!result.json) throw new Error(`scan printed nothing (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
      return result.json as Record<string, number | string>;
    },
    async trackIds(ids) {
      await fixture.t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
    },
    async track(ids, status = 'verified') {
      await fixture.trackIds(ids);
      for (const id of ids) fixture.sandbox.setDocuments(id, [{ purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}.pdf`, verificationResponse: 'ok', status }]);
    },
  };
  return fixture;
}
