// What the benchmarks share: a database and Redis key prefix of the run's own, the generated
// sandbox customers tracked in it, the sandbox as a process, and cleaning all of it up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { customerIdFor } from '../dist/sandbox/generator.js';
import { CustomerStore } from '../dist/store/customers.js';
import { createDatabase } from '../dist/store/database.js';
import { dropDatabase, migrate } from '../dist/store/migrations.js';

export const root = fileURLToPath(new URL('..', import.meta.url));

export interface BenchRun {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

export function newRun(name: string): BenchRun {
  const runId = randomBytes(4).toString('hex');
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/kyc_${name}_${runId}`;
  return { databaseUrl: url.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: `kyc-${name}-${runId}` };
}

/** Migrates the run's database and tracks the first `customers` generated sandbox customers. */
export async function trackGeneratedCustomers(run: BenchRun, customers: number): Promise<void> {
  await migrate(run.databaseUrl);
  const db = createDatabase({ url: run.databaseUrl });
  try {
    const store = new CustomerStore(db);
    for (let i = 0; i < customers; i += 5000) await store.add(Array.from({ length: Math.min(5000, customers - i) }, (_, k) => customerIdFor(i + k)));
  } finally {
    await db.$disconnect();
  }
}

/** Resolves with the first match of `pattern` in the child's output; rejects if it exits first. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const match = pattern.exec(out);
      if (match) resolve(match);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${out.slice(-2000)}`)));
  });
}

/** `kyc-monitor sandbox` on a free port with statuses that stay put for the run. */
export async function startSandbox(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(`${root}/bin/kyc-monitor`, ['sandbox', '--port', '0', '--epoch-seconds', '86400', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = (await waitForOutput(child, /listening on (http:\/\/\S+)/, 'sandbox'))[1] ?? '';
  return { url, child };
}

/** Stops the given processes and removes the run's database and Redis keys. */
export async function cleanUp(run: BenchRun, children: readonly ChildProcess[]): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await dropDatabase(run.databaseUrl).catch(() => undefined);
  const redis = new Redis(run.redisUrl);
  try {
    const keys = await redis.keys(`${run.prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
