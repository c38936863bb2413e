import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { dropDatabase } from '../../src/store/migrations.js';
import { BIN, runProcess, startCli, type RunningCli } from '../support/cli.js';
import { composeFile, composeText, dockerfile, dockerfileHealthcheck, type ComposeService } from '../support/compose.js';
import { testQueuePrefix } from '../support/db.js';
import { freePort } from '../support/servers.js';
import { TestSmtpServer } from '../support/smtp.js';

// Every command docker-compose.yml and the Dockerfile run, run natively (no Docker engine here):
// the services' healthchecks against real processes, the seed script, the sandbox and the
// worker. Container addresses are mapped to this machine's: the compose host names to
// 127.0.0.1 and the sandbox's port to a free one; the commands themselves are run as written.

const services = composeFile().services;
const service = (name: string): ComposeService => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
const sandboxArgs = service('sandbox').command as string[];
const sandboxPort = sandboxArgs[sandboxArgs.indexOf('--port') + 1] ?? '';
const customers = Number(sandboxArgs[sandboxArgs.indexOf('--customers') + 1]);

const url = new URL(inject('templateDatabaseUrl'));
url.pathname = `/kyc_test_${inject('runId')}_compose${randomBytes(3).toString('hex')}`;
const databaseUrl = url.toString();

let smtp: TestSmtpServer;
let sandbox: RunningCli | undefined;
let sandboxUrl = '';
let localPort = 0;

/** The container's environment, on this machine: `kyc-monitor` on PATH as the image puts it. */
function nativeEnv(environment: Record<string, string> | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${path.dirname(BIN)}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME,
    ...environment,
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandboxUrl,
    SMTP_URL: smtp.url,
    ...extra,
  };
}

/** A healthcheck's test (`CMD` exec form), run as Docker would, with the sandbox's port mapped. */
function healthcheck(test: readonly string[] | undefined, env: NodeJS.ProcessEnv) {
  const [form, command, ...args] = test ?? [];
  if (form !== 'CMD' || command === undefined) throw new Error(`unexpected healthcheck ${JSON.stringify(test)}`);
  const mapped = args.map((a) => composeText(a).replaceAll(`127.0.0.1:${sandboxPort}`, `127.0.0.1:${localPort}`));
  return runProcess(composeText(command), mapped, env, undefined, 30_000);
}

function seed(env: NodeJS.ProcessEnv) {
  const { entrypoint, command } = service('seed');
  const [shell, flag] = entrypoint ?? [];
  return runProcess(shell ?? 'sh', [flag ?? '-c', composeText(String(command))], env, undefined, 120_000);
}

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  localPort = await freePort();
  // The sandbox service's command, listening on loopback at a free port.
  const args = sandboxArgs.map((a, i) => (sandboxArgs[i - 1] === '--host' ? '127.0.0.1' : sandboxArgs[i - 1] === '--port' ? String(localPort) : a));
  sandbox = startCli(args, nativeEnv(service('sandbox').environment));
  await sandbox.waitForOutput(/Cyrexa sandbox listening on/);
  sandboxUrl = `http://127.0.0.1:${localPort}`;
});
afterAll(async () => {
  sandbox?.child.kill('SIGTERM');
  await sandbox?.exited;
  await smtp.close();
  await dropDatabase(databaseUrl);
});

describe('docker-compose.yml and the Dockerfile, run natively', () => {
  it.each(['postgres', 'redis'])('the %s healthcheck passes against the running server', async (name) => {
    const result = await healthcheck(service(name).healthcheck?.test, { PATH: process.env.PATH });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it("the sandbox's healthcheck passes on the sandbox; the image's own (the worker's port) would not", async () => {
    const env = nativeEnv(service('sandbox').environment, { HTTP_PORT: String(await freePort()) });
    expect((await healthcheck(service('sandbox').healthcheck?.test, env)).code).toBe(0);
    expect((await healthcheck(['CMD', ...(dockerfileHealthcheck(dockerfile()) ?? [])], env)).code).toBe(1);
  });

  it('the seed fails loudly when the sandbox lists no customer, or cannot be reached', async () => {
    const empty = await new Sandbox({ customers: 0 }).start();
    try {
      const result = await seed(nativeEnv(service('seed').environment, { CYREXA_BASE_URL: empty.url }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`seed: the sandbox at ${empty.url} lists no customers: nothing to track`);
    } finally {
      await empty.close();
    }
    const unreachable = await seed(nativeEnv(service('seed').environment, { CYREXA_BASE_URL: `http://127.0.0.1:${await freePort()}` }));
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('seed: the sandbox did not list its customers');
  });

  it("the seed migrates and tracks the sandbox's customers", async () => {
    const result = await seed(nativeEnv(service('seed').environment));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`seed: tracking the sandbox's ${customers} customers`);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM tracked_customers');
      expect(rows[0]?.n).toBe(customers);
    } finally {
      await client.end();
    }
  });

  it("the worker's command runs, its healthcheck and the image's pass while it runs and fail once it stopped; alerts reach the mail server", async () => {
    const env = nativeEnv(service('worker').environment, { HTTP_PORT: String(await freePort()) });
    const worker = startCli(service('worker').command as string[], env);
    try {
      await worker.waitForOutput(/"msg":"worker started"/);
      expect((await healthcheck(service('worker').healthcheck?.test, env)).code).toBe(0);
      expect((await healthcheck(['CMD', ...(dockerfileHealthcheck(dockerfile()) ?? [])], env)).code).toBe(0);
      await smtp.waitFor(1, 90_000);
      expect(smtp.messages[0]?.envelope.to).toEqual([service('worker').environment?.ALERT_TO]);
      expect(smtp.messages[0]?.parsed.subject).toMatch(/ alert: .* — \d+ customers?$/);
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
    expect((await healthcheck(service('worker').healthcheck?.test, env)).code).toBe(1);
  });
});
