import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type RunningCli } from '../support/cli.js';
import { scanFixture } from '../support/scan-fixture.js';
import { startWorker, stopWorker, until, workerEnv } from '../support/worker.js';

// Attacks on the worker's scans: a scan whose process died while a scheduled tick was skipped
// for it must not hold the schedule up until the next tick (a day, with the default cron).

const f = scanFixture();
let worker: RunningCli | undefined;

afterEach(async (ctx) => {
  if (worker && ctx.task.result?.state === 'fail') console.error(worker.output().stderr.slice(-4000));
  if (worker) expect(await stopWorker(worker)).toBe(0);
  worker = undefined;
});

describe('a dead scan and the schedule', { timeout: 60_000 }, () => {
  it('a `scan` killed after the tick it made the worker skip: the worker abandons it and makes the tick up', async () => {
    await f.t.db.trackedCustomer.create({ data: { customerId: 'dead-1' } });
    f.sandbox.setDocuments('dead-1', [{ purpose: 'KYC', name: 'passport', documentType: 'Passport', location: '/p.pdf', verificationResponse: 'ok', status: 'verified' }]);
    const client = new pg.Client({ connectionString: f.t.url });
    await client.connect();
    try {
      // The last 06:00 UTC tick found this manual scan running and was skipped; then its process
      // was killed (SIGKILL, OOM, a lost container): its lease ran out long ago.
      await client.query(
        `INSERT INTO scans (id, trigger, status, running_slot, started_at, lease_until)
         VALUES (gen_random_uuid(), 'manual', 'running', 1,
                 date_trunc('day', now() - interval '6 hours') + interval '6 hours' - interval '1 minute',
                 now() - interval '1 minute')`,
      );
    } finally {
      await client.end();
    }
    worker = await startWorker(workerEnv({ databaseUrl: f.t.url, sandboxUrl: f.sandbox.url, smtpUrl: f.smtp.url, extra: { SCAN_EVERY_SECONDS: undefined, SCAN_CRON: '0 6 * * *', SCAN_TIMEZONE: 'UTC' } }));
    // The catch-up watch looks every 10 s: within about 30 s, not at tomorrow's tick.
    await until('the missed tick made up', async () => (await f.t.db.scan.count({ where: { trigger: 'catch-up', status: 'completed' } })) === 1, 30_000, 250);
    const dead = await f.t.db.scan.findFirstOrThrow({ where: { trigger: 'manual' } });
    expect(dead.status).toBe('interrupted');
    expect(dead.error).toMatch(/^abandoned/);
    expect(await f.t.db.alert.count({ where: { kind: 'ops', subject: 'kyc-monitor: a scan could not complete' } })).toBe(1);
  });

  it('a batch waiting for its retry keeps its scan alive: a scan started meanwhile is refused, not taking it for dead', async () => {
    await f.track(['alive-1', 'alive-2']);
    const client = new pg.Client({ connectionString: f.t.url });
    await client.connect();
    try {
      // Every attempt of the batch fails at its last statement (the batch count), for a while.
      await client.query('ALTER TABLE scan_batches ADD CONSTRAINT attack_no_batches CHECK (batch_no < 0) NOT VALID');
      // A failed batch is retried every third of the lease, 8 times: a 6 s lease gives it 16 s,
      // time for the wait below and a `scan` starting on a busy machine.
      const env = workerEnv({ databaseUrl: f.t.url, sandboxUrl: f.sandbox.url, smtpUrl: f.smtp.url, extra: { SCAN_LEASE_SECONDS: '6' } });
      worker = await startWorker(env);
      await worker.waitForOutput(/"msg":"job failed"/);
      // Longer than the lease: the batch has been waiting for retries all along.
      await new Promise((r) => setTimeout(r, 7_000));
      const scan = await runCli(['scan', '--json'], env);
      expect(scan.code).toBe(1);
      expect(scan.stderr).toMatch(/still running/);
      await client.query('ALTER TABLE scan_batches DROP CONSTRAINT attack_no_batches');
      await until('the scan completed', async () => (await f.t.db.scan.count({ where: { status: 'completed' } })) === 1, 30_000, 250);
      expect(await f.t.db.scan.count({ where: { status: { not: 'completed' } } })).toBe(0);
      expect(await f.t.db.alert.count({ where: { kind: 'ops' } })).toBe(0);
    } finally {
      await client.end();
    }
  });
});
