import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { BIN, baseEnv, runProcess } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/servers.js';

// `scan` as a person sees it in a terminal (issue 11, items 5 and 8): run under a
// pseudo-terminal (`script` from util-linux), what the terminal received is read back.

const CUSTOMERS = 40;
const MISSING = 5;
const TOTAL = CUSTOMERS + MISSING;

let t: TestDatabase;
let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  t = await createTestDatabase();
  // Slow enough answers that the bar is drawn many times while the customers are checked.
  sandbox = await new Sandbox({ customers: 0, latencyMs: 50 }).start();
  const ids = Array.from({ length: CUSTOMERS }, (_, i) => `cust-${i + 1}`);
  for (const id of ids) {
    sandbox.setDocuments(id, [{ purpose: 'KYC', documentType: 'Passport', name: `${id}.pdf`, location: `/files/${id}`, verificationResponse: 'expired', status: 'expired', metadata: [] }]);
  }
  // Unknown to the API (404): each a warning.
  const missing = Array.from({ length: MISSING }, (_, i) => `gone-${i + 1}`);
  await t.db.trackedCustomer.createMany({ data: [...ids, ...missing].map((customerId) => ({ customerId })) });
  env = baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: 'terminal-test-token',
    CYREXA_MAX_RPS: '1000',
    CHECK_CONCURRENCY: '2',
    // Nothing listens there: the mail server is down.
    SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
    ALERT_TO: 'compliance@example.com',
    TERM: 'xterm',
    KYC_BIN: BIN,
  });
});

afterAll(async () => {
  await sandbox?.close();
  await t?.drop();
});

/** What the terminal shows, roughly: a return to the first column starts a line, other escape sequences out. */
function screenText(raw: string): string {
  return (
    raw
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[1G|\r\n|\r/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '')
  );
}

describe('scan in a terminal', () => {
  it('a bar that moves per customer, warnings above it as readable lines, a clean summary naming the SMTP outage', async () => {
    const result = await runProcess('script', ['-qefc', 'stty cols 100 rows 40; exec "$KYC_BIN" scan', '/dev/null'], env);
    const raw = result.stdout;
    const screen = screenText(raw);
    expect(result.code, screen).toBe(0);

    // No JSON, no info lines: the log is readable lines, the summary says the rest.
    expect(screen).not.toContain('{"level"');
    expect(screen).not.toContain('document changes recorded');

    // The bar moved through the customers, not from 0 to all at once.
    const values = new Set([...screen.matchAll(new RegExp(`(\\d+)/${TOTAL} customers`, 'g'))].map((m) => Number(m[1])));
    expect([...values].filter((v) => v > 0 && v < TOTAL).length, [...values].join(' ')).toBeGreaterThanOrEqual(2);
    expect(values.has(TOTAL)).toBe(true);

    // Each warning one readable line above the bar; the same one beyond three times counted.
    const warnings = screen.split('\n').filter((line) => line.startsWith('warning: customer check failed'));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^warning: customer check failed \(customerId=gone-\d, reason=http-404, err=/);

    // The summary: its own lines, after the bar, naming why the alerts were not delivered.
    const summaryAt = raw.search(/scan [0-9a-f-]{36} completed in/);
    expect(summaryAt).toBeGreaterThan(raw.lastIndexOf(`${TOTAL}/${TOTAL} customers`));
    expect(raw.slice(summaryAt - 1, summaryAt)).toBe('\n');
    const summary = raw.slice(summaryAt);
    // eslint-disable-next-line no-control-regex
    expect(summary).not.toMatch(/\u001b/);
    expect(summary).toContain(`customers ${TOTAL}, checked ${CUSTOMERS}, failed ${MISSING} (http-404 ${MISSING})`);
    expect(summary).toMatch(/alerts raised 40\r?\n/);
    expect(summary).toMatch(/40 alert\(s\) not delivered for now: .*ECONNREFUSED.*check SMTP_URL/);
    expect(summary).toContain(`${MISSING - 3} more "customer check failed" warning line(s) not shown`);
  });
});
