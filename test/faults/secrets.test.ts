import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { baseEnv, runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/servers.js';
import { TestSmtpServer } from '../support/smtp.js';
import { startWorker, stopWorker, until } from '../support/worker.js';

// Fault 8: secrets. A worker and the commands run with every kind of secret set, through
// faults that make them log and fail (a refused SMTP login, revoked API tokens, failing
// customers); then the logs, the error output, every Redis key of the deployment and every
// database row are searched for each secret.

const SECRETS = {
  clientSecret: 'sec-client-secret-3f9e1c77',
  tokenHeader: 'sec-token-header-a81b0d42',
  smtpPassword: 'sec-smtp-password-5c2e9911',
  dbPassword: 'sec-db-password-77d0aa3e',
  linkSecret: 'sec-link-secret-0b7c5e21-9d4f-4a6e-8c13',
};
const CUSTOMERS = ['s-1', 's-2', 's-3', 's-404', 's-500'];
let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let env: NodeJS.ProcessEnv;
let smtpLogins = 0;
let webPort = 0;
const transcripts: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  await t.db.trackedCustomer.createMany({ data: CUSTOMERS.map((customerId) => ({ customerId })) });
  sandbox = await new Sandbox({ customers: 0, accessToken: 'only-issued-tokens-work', clientId: 'sec-client', clientSecret: SECRETS.clientSecret, tokenHeader: SECRETS.tokenHeader, tokenLifetimeSeconds: 3600 }).start();
  for (const id of CUSTOMERS.filter((c) => c !== 's-404')) {
    sandbox.setDocuments(id, [{ purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}/p.pdf`, verificationResponse: 'old', status: 'expired' }]);
  }
  sandbox.failNext('s-500', '500', 1_000_000);
  // The first login is refused (535), later ones accepted; over STARTTLS, as credentials must be.
  smtp = await new TestSmtpServer({
    starttls: true,
    onAuth: (auth, _session, callback) => (++smtpLogins > 1 && auth.password === SECRETS.smtpPassword ? callback(null, { user: auth.username }) : callback(new Error('Invalid credentials'))),
  }).start();
  const url = new URL(t.url);
  url.username = 'postgres';
  url.password = SECRETS.dbPassword; // trust authentication ignores it; nothing may show it
  webPort = await freePort();
  env = baseEnv({
    DATABASE_URL: url.toString(),
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    // Retries of transient API failures start after 50 ms instead of 500 (CYREXA_RETRY_BASE_MS).
    CYREXA_RETRY_BASE_MS: '50',
    CYREXA_TOKEN_URL: `${sandbox.url}/oauth/token`,
    CYREXA_CLIENT_ID: 'sec-client',
    CYREXA_CLIENT_SECRET: SECRETS.clientSecret,
    CYREXA_TOKEN: SECRETS.tokenHeader,
    CYREXA_TIMEOUT_MS: '2000',
    SMTP_URL: `smtp://alerts:${SECRETS.smtpPassword}@127.0.0.1:${smtp.port}?tls.rejectUnauthorized=false`,
    ALERT_TO: 'compliance@example.com',
    ALERT_BATCH_SECONDS: '0',
    // The refused SMTP login puts the alerts off for the retry backoff: 1 s here, not 30 s.
    ALERT_RETRY_BASE_SECONDS: '1',
    SCAN_EVERY_SECONDS: '1',
    // A scan the stopped worker handed back (SIGTERM mid-scan, as it does for a replica) blocks
    // the commands' `scan` only until its lease lapses: 5 s here (as in every worker test), not 30.
    SCAN_LEASE_SECONDS: '5',
    HTTP_PORT: '0',
    // The case links: the emails carry tokens signed with it, the worker serves the pages.
    PUBLIC_URL: `http://127.0.0.1:${webPort}`,
    LINK_SECRET: SECRETS.linkSecret,
    WEB_PORT: String(webPort),
    LOG_LEVEL: 'trace',
  });
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
  await t.drop();
});

async function cli(args: string[], over: Record<string, string | undefined> = {}): Promise<CliResult> {
  const result = await runCli(args, { ...env, ...over });
  transcripts.push(result.stdout, result.stderr);
  return result;
}

async function redisValues(prefix: string): Promise<string[]> {
  const redis = new Redis(inject('redisUrl'));
  const values: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        values.push(key);
        if (type === 'string') values.push((await redis.get(key)) ?? '');
        else if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') values.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') values.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') values.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
        else if (type === 'stream') values.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return values;
}

async function databaseRows(): Promise<string[]> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>("SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public'");
    const rows: string[] = [];
    for (const { name } of tables) {
      const result = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${name} t`);
      rows.push(...result.rows.map((r) => r.row));
    }
    return rows;
  } finally {
    await client.end();
  }
}

describe('secrets', { timeout: 240_000 }, () => {
  it('appear in no log line, error output, Redis key or value, or database row', async () => {
    const worker = await startWorker(env);
    try {
      await until('a completed scan', async () => (await t.db.scan.count({ where: { status: 'completed' } })) >= 1, 60_000);
      sandbox.revokeTokens(); // the next requests get 401: one refresh each
      const revokedAt = new Date();
      // A whole scan after that: every one of its requests meets the revoked token first.
      await until('a scan after the token was revoked', async () => (await t.db.scan.count({ where: { status: 'completed', startedAt: { gt: revokedAt } } })) >= 1, 60_000);
      await until('the alerts delivered after the refused login', async () => (await t.db.alert.count({ where: { kind: 'document', status: 'sent' } })) === 3, 120_000);
      // The case pages, asked with the emails' links and with forged ones.
      const links = smtp.messages.flatMap((m) => [...(m.parsed.text ?? '').matchAll(/Acknowledge case #\d+: (\S+)/g)].map((x) => x[1] as string));
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        expect((await fetch(link)).status).toBe(200);
        expect((await fetch(`${link.slice(0, -1)}x`)).status).toBe(403);
      }
    } finally {
      expect(await stopWorker(worker)).toBe(0);
      transcripts.push(worker.output().stdout, worker.output().stderr);
    }
    // With a scan a second, the worker may have stopped in the middle of one: `scan` below would
    // be refused while its lease holds.
    await until('no scan held by the stopped worker', async () => (await t.db.scan.count({ where: { status: 'running', leaseUntil: { gt: new Date() } } })) === 0, 30_000);
    expect(sandbox.stats.tokensIssued).toBeGreaterThan(1);
    expect(smtpLogins).toBeGreaterThan(1);
    // The commands, a few side by side: a scan; then what reads its results. Failures that print
    // errors: a wrong SMTP password, rejected API credentials, a database that is not there.
    const noDb = new URL(env.DATABASE_URL ?? '');
    noDb.port = '1';
    const wrongSmtp = `smtp://alerts:${SECRETS.smtpPassword}x@127.0.0.1:${smtp.port}?tls.rejectUnauthorized=false`;
    const run = async (args: string[], over: Record<string, string> = {}) => [args.join(' '), (await cli(args, over)).code] as const;
    const codes = await Promise.all([run(['scan', '--json']), run(['alerts', 'test'], { SMTP_URL: wrongSmtp }), run(['status'], { DATABASE_URL: noDb.toString() })]);
    // One scan at a time: the one with a wrong secret after the one above.
    codes.push(...(await Promise.all([run(['status', '--json']), run(['track', 'list', '--json']), run(['history', 's-1', '--json']), run(['alerts', 'flush']), run(['scan'], { CYREXA_CLIENT_SECRET: `${SECRETS.clientSecret}-wrong` })])));
    expect(Object.fromEntries(codes)).toEqual({ 'scan --json': 0, 'alerts test': 1, status: 1, 'status --json': 0, 'track list --json': 0, 'history s-1 --json': 0, 'alerts flush': 0, scan: 1 });

    const everything = [...transcripts, ...(await redisValues(env.QUEUE_PREFIX ?? '')), ...(await databaseRows()), ...smtp.messages.map((m) => m.raw)].join('\n');
    expect(/"level":20/.test(everything), "debug logs were captured").toBe(true);
    const secrets = { ...SECRETS, ...Object.fromEntries(sandbox.issuedTokenValues().map((token, i) => [`issued access token ${i}`, token])) };
    for (const [name, secret] of Object.entries(secrets)) {
      expect(everything.includes(secret), name).toBe(false);
      expect(everything.includes(encodeURIComponent(secret)), `${name} (URL-encoded)`).toBe(false);
    }
  });
});
