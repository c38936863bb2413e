import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { customerIdFor, generatedDocuments, worldChanges } from '../../src/sandbox/generator.js';
import { runCli, startCli } from '../support/cli.js';

// The sandbox over HTTP (SPEC §8): its documents follow the world's time, `GET /_sandbox/clock`
// says what time it is there, and `GET /_sandbox/changes` what changed when; `--time-scale`
// and `--time-origin` on the command line, and the exports it prints for the monitor.

const DAY = 86_400_000;
const origin = Date.parse('2026-11-26T09:00:00Z');
let now = origin;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await new Sandbox({ customers: 30, seed: 3, origin, clock: () => now, tenantId: 't' }).start();
});
afterAll(() => sandbox.close());

const headers = { authorization: 'Bearer any', tenantid: 't', token: 'any' };
async function documents(id: string) {
  const response = await fetch(`${sandbox.url}/getDocuments/${id}`, { headers });
  expect(response.status).toBe(200);
  return ((await response.json()) as { documents: Array<{ name: string; status: string }> }).documents;
}

describe('the sandbox world over HTTP', () => {
  it('answers getDocuments as the world stands at its time, and the change log says what changed when', async () => {
    now = origin;
    const log = await (await fetch(`${sandbox.url}/_sandbox/changes?from=${new Date(origin).toISOString()}&to=${origin + 40 * DAY}`)).json() as {
      now: string;
      changes: Array<{ at: string; customerId: string; name: string; from: string; to: string; reason: string; expiresOn: string }>;
    };
    expect(log.now).toBe(new Date(origin).toISOString());
    expect(log.changes.length).toBeGreaterThan(10);
    expect(new Set(log.changes.map((c) => c.reason))).toEqual(new Set(['settled', 'expired', 'renewed']));
    for (const change of log.changes.slice(0, 12)) {
      const at = Date.parse(change.at);
      now = at - 1;
      expect((await documents(change.customerId)).find((d) => d.name === change.name)?.status).toBe(change.from);
      now = at;
      expect((await documents(change.customerId)).find((d) => d.name === change.name)?.status).toBe(change.to);
    }
    // The same as the generator's, for one customer (`customer=`), oldest first.
    const one = await (await fetch(`${sandbox.url}/_sandbox/changes?customer=cust-000002&from=${origin}&to=${origin + 40 * DAY}`)).json() as { changes: Array<{ at: string }> };
    expect(one.changes.map((c) => Date.parse(c.at))).toEqual(worldChanges(sandbox.world, 'cust-000002', origin, origin + 40 * DAY).map((c) => c.at));
  });

  it('tells its clock, and lists changes from its origin to its now by default', async () => {
    now = origin + 20 * DAY;
    expect(await (await fetch(`${sandbox.url}/_sandbox/clock`)).json()).toEqual({ now: new Date(now).toISOString(), origin: new Date(origin).toISOString(), timeScale: 1 });
    const log = await (await fetch(`${sandbox.url}/_sandbox/changes`)).json() as { from: string; to: string; changes: Array<{ at: string }> };
    expect([log.from, log.to]).toEqual([new Date(origin).toISOString(), new Date(now).toISOString()]);
    for (const change of log.changes) expect(Date.parse(change.at)).toBeLessThan(now);
  });

  it('leaves customers whose documents were set out of the change log, and refuses unreadable windows', async () => {
    const id = customerIdFor(4);
    sandbox.setDocuments(id, generatedDocuments(sandbox.world, id, origin));
    const log = await (await fetch(`${sandbox.url}/_sandbox/changes?from=${origin}&to=${origin + 100 * DAY}`)).json() as { changes: Array<{ customerId: string }> };
    expect(log.changes.some((c) => c.customerId === id)).toBe(false);
    for (const query of ['from=yesterday', `from=${origin}&to=${origin + 500 * DAY}`]) {
      const response = await fetch(`${sandbox.url}/_sandbox/changes?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/from and to/);
    }
  });
});

describe('kyc-monitor sandbox --time-scale', () => {
  it('runs the world faster from --time-origin and prints TIME_SCALE and TIME_ORIGIN for the monitor', async () => {
    const cli = startCli(['sandbox', '--port', '0', '--customers', '5', '--time-scale', '1440', '--time-origin', '2026-11-26T09:00:00Z'], process.env);
    try {
      await cli.waitForOutput(/track import/);
      const banner = cli.output().stdout;
      expect(banner).toContain('world time runs 1440 times faster than real time (a day every 60 s)');
      expect(banner).toMatch(/export CYREXA_BASE_URL=\S+ .*TIME_SCALE=1440 TIME_ORIGIN=2026-11-26T09:00:00\.000Z/);
      const url = /listening on (http:\/\/\S+)/.exec(banner)?.[1];
      const clock = (await (await fetch(`${url}/_sandbox/clock`)).json()) as { now: string; timeScale: number };
      expect(clock.timeScale).toBe(1440);
      // Real time since the origin, 1440 times over.
      const expected = origin + (Date.now() - origin) * 1440;
      expect(Math.abs(Date.parse(clock.now) - expected)).toBeLessThan(10 * 60_000 * 1440);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });

  it.each([
    [['--time-scale', 'fast'], /--time-scale.*must be a number from 0 to 10000000/],
    [['--time-scale', '-1'], /--time-scale.*must be a number from 0 to 10000000/],
    [['--time-origin', '2026-11-26'], /--time-origin.*must be an ISO 8601 date-time with its offset/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const result = await runCli(['sandbox', '--port', '0', ...args], process.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
