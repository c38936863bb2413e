import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { baseEnv, startCli, type RunningCli } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtp.js';
import { until } from '../support/worker.js';

// Attack: SIGTERM / Ctrl-C on `scan` while it delivers the alerts it raised, to an SMTP server
// that takes the message and never answers. The scan is over; what is left is a person (or a
// container runtime) asking the command to stop. It must stop promptly, leaving the alerts
// pending for the worker or the next scan, not wait out its whole delivery budget (a minute).

let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
const running: RunningCli[] = [];

beforeAll(async () => {
  sandbox = await new Sandbox({ customers: 0 }).start();
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => {
  smtp.releaseStalled();
  await sandbox.close();
  await smtp.close();
});
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  smtp.stall = false;
  smtp.releaseStalled();
  await t.drop();
});

function env(): NodeJS.ProcessEnv {
  return baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: 'attack-token',
    CYREXA_MAX_RPS: '2000',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
  });
}

async function exitWithin(cli: RunningCli, ms: number): Promise<number | null | 'hung'> {
  const gaveUp = new AbortController();
  const code = await Promise.race([cli.exited, delay(ms, 'hung' as const, { signal: gaveUp.signal }).catch(() => 'hung' as const)]);
  gaveUp.abort();
  return code;
}

describe('a signal while scan delivers', { timeout: 60_000 }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} while the SMTP server sits on the message: scan stops promptly, the alerts stay pending`, async () => {
      const ids = ['sig-1', 'sig-2', 'sig-3'];
      await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
      for (const id of ids) sandbox.setDocuments(id, [{ purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}.pdf`, verificationResponse: 'old', status: 'expired' }]);
      smtp.stall = true;
      const scan = startCli(['scan', '--json'], env());
      running.push(scan);
      await until('the alert email held by the SMTP server', () => smtp.stalledCount >= 1, 30_000, 50);
      scan.child.kill(signal);
      const code = await exitWithin(scan, 15_000);
      expect(code, scan.output().stderr.slice(-2000)).not.toBe('hung');
      expect(code).not.toBe(0);
      const [row] = await t.db.scan.findMany();
      // The scan itself had ended: it is recorded as it ended.
      expect(row).toMatchObject({ status: 'completed', checked: 3, alerts: 3 });
      // Nothing lost: the alerts are pending for the worker, the next scan or alerts flush.
      expect(await t.db.alert.count({ where: { kind: 'document', status: 'pending' } })).toBe(3);
      expect(JSON.parse(scan.output().stdout)).toMatchObject({ status: 'completed', delivery: { alertsPending: 3 } });
    });
  }
});
