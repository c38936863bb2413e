import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from './worker.js';

// Private Redis and Postgres servers for tests that stop, restart or flush them: the shared
// ones serve every other test and CI.

const run = promisify(execFile);

/**
 * Below the kernel's ephemeral range (32768–60999 here): a port the kernel never hands to a
 * `listen(0)` or an outgoing connection of another test while this one is between finding the
 * port and binding it (a port from `listen(0)` was taken that way, failing the demo test).
 */
const PORT_RANGE = { from: 20_000, to: 32_767 };

/** A port nothing listens on now (on any address), picked at random below the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${PORT_RANGE.from} and ${PORT_RANGE.to}`);
}

/** A redis-server of its own, without persistence: a restart loses everything, as a flush does. */
export class PrivateRedis {
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  private cli(...args: string[]) {
    return run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args]);
  }

  async start(): Promise<void> {
    await run('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--dir', tmpdir()]);
    await until('redis to answer', async () => (await this.cli('ping').catch(() => ({ stdout: '' }))).stdout.trim() === 'PONG', 30_000, 100);
  }

  async stop(): Promise<void> {
    await this.cli('shutdown', 'nosave').catch(() => undefined);
    await until('redis to stop', () => this.cli('ping').then(() => false, () => true), 30_000, 100);
  }

  async flush(): Promise<void> {
    await this.cli('flushall');
  }
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A Postgres cluster of its own (run as the postgres user: the server refuses root). */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'kyc-pg-'));
    await run('chown', ['postgres', dir]);
    await asPostgres(`${PG_BIN}/initdb`, '-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres');
    const pg = new PrivatePostgres(await freePort(), dir);
    await pg.start();
    return pg;
  }

  async start(): Promise<void> {
    await asPostgres(`${PG_BIN}/pg_ctl`, '-D', `${this.dir}/data`, '-l', `${this.dir}/log`, '-w', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`, 'start');
  }

  async stop(): Promise<void> {
    await asPostgres(`${PG_BIN}/pg_ctl`, '-D', `${this.dir}/data`, '-m', 'fast', '-w', 'stop');
  }

  /** SIGSTOP (or SIGCONT) to the server and its backends: connections open, nothing answers. */
  async freeze(frozen: boolean): Promise<void> {
    const pid = (await readFile(`${this.dir}/data/postmaster.pid`, 'utf8')).split('\n')[0]?.trim();
    if (!pid) throw new Error('postmaster.pid has no pid');
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', pid]);
    const pids = [pid, ...stdout.split('\n').map((l) => l.trim()).filter(Boolean)];
    await run('kill', [frozen ? '-STOP' : '-CONT', ...pids]);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function asPostgres(command: string, ...args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
  else await run(command, args);
}
