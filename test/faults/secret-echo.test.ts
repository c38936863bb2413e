import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseEnv, runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtp.js';

// Fault 8b: a Cyrexa API and a token endpoint that echo secrets back in their error bodies
// ("Invalid access token <token>", the request's headers, "client_secret=…" raw and form-encoded).
// Every place such a body can end up — tracked_customers.last_error, scans.error, the alerts
// rows, the credentials operations alert email, `track list`, `status` (text and --json) and
// `scan`'s output — must hold none of the secrets, raw or URL-encoded.

const CLIENT_SECRET = 'echo-client/secret+7Q=9f';
const TOKEN_HEADER = 'echo-token-header/4b1e+x';
const CUSTOMERS = ['ok-1', 'echo-400', 'echo-500'];

type ApiMode = 'mixed' | 'all-401' | 'all-ok';
type TokenMode = 'ok' | 'reject-400' | 'fail-500';
let apiMode: ApiMode = 'mixed';
let tokenMode: TokenMode = 'ok';
const issued: string[] = [];

let api: Server;
let apiUrl: string;
let smtp: TestSmtpServer;
let t: TestDatabase;
let env: NodeJS.ProcessEnv;
const outputs: Array<{ what: string; text: string }> = [];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'POST' && req.url === '/oauth/token') {
    const raw = await readBody(req);
    const secret = new URLSearchParams(raw).get('client_secret') ?? '';
    if (tokenMode === 'reject-400') return text(res, 400, `invalid_client: client_secret=${secret} is not valid for this client (request was: ${raw})`);
    if (tokenMode === 'fail-500') return text(res, 500, `internal error while checking client_secret=${secret}; echo: ${raw}`);
    const token = `echo-access-${randomBytes(12).toString('base64url')}/+=`;
    issued.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
    return;
  }
  const id = decodeURIComponent(/^\/getDocuments\/(.+)$/.exec(req.url ?? '')?.[1] ?? '');
  const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const echoed = JSON.stringify(req.headers);
  if (apiMode === 'all-401') return text(res, 401, `Invalid access token ${bearer} (token header ${String(req.headers.token)}); request headers: ${echoed}`);
  const echo = apiMode === 'mixed';
  if (echo && id === 'echo-400') return text(res, 400, `Bad request: token=${String(req.headers.token)}, Authorization: ${String(req.headers.authorization)}`);
  if (echo && id === 'echo-500') return text(res, 500, `Invalid access token ${bearer}; request headers: ${echoed}`);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ tenantId: 'tenant-echo', documents: [{ purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}/p.pdf`, verificationResponse: 'ok', status: 'verified' }] }));
}

beforeAll(async () => {
  api = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  smtp = await new TestSmtpServer().start();
  t = await createTestDatabase();
  await t.db.trackedCustomer.createMany({ data: CUSTOMERS.map((customerId) => ({ customerId })) });
  env = baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: apiUrl,
    CYREXA_TENANT_ID: 'tenant-echo',
    // Retries of transient API failures start after 50 ms instead of 500 (CYREXA_RETRY_BASE_MS).
    CYREXA_RETRY_BASE_MS: '50',
    CYREXA_TOKEN_URL: `${apiUrl}/oauth/token`,
    CYREXA_CLIENT_ID: 'echo-client',
    CYREXA_CLIENT_SECRET: CLIENT_SECRET,
    CYREXA_TOKEN: TOKEN_HEADER,
    CYREXA_TIMEOUT_MS: '2000',
    CYREXA_MAX_RPS: '500',
    CYREXA_MAX_RETRY_AFTER_SECONDS: '1',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    ALERT_BATCH_SECONDS: '0',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
  });
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
  await smtp.close();
  await t.drop();
});

async function cli(args: string[]): Promise<CliResult> {
  const result = await runCli(args, env);
  outputs.push({ what: `${args.join(' ')} stdout`, text: result.stdout }, { what: `${args.join(' ')} stderr`, text: result.stderr });
  return result;
}

async function rows(sql: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  try {
    return (await client.query<{ row: string }>(sql)).rows.map((r) => r.row);
  } finally {
    await client.end();
  }
}

/** The four read-only listings, side by side. */
const listings = () => Promise.all([['track', 'list'], ['track', 'list', '--json'], ['status'], ['status', '--json']].map((args) => cli(args)));

describe('secrets echoed by the API and the token endpoint', { timeout: 240_000 }, () => {
  it('are in no row, email or command output', async () => {
    // 1. The API echoes the access token and the token header in 400 and 500 bodies.
    await cli(['scan', '--json']);
    await cli(['scan']);
    await listings();
    expect((await t.db.trackedCustomer.findUnique({ where: { customerId: 'echo-500' } }))?.lastError).toBeTruthy();

    // 2. Every answer is a 401 echoing the token: credentials rejected after one refresh.
    apiMode = 'all-401';
    await cli(['scan']);

    // 3. The token endpoint refuses the client, echoing the secret raw and form-encoded (400).
    // A scan that completes (every answer a 200, nothing retried): a new incident may start.
    apiMode = 'all-ok';
    await cli(['scan']);
    apiMode = 'mixed';
    tokenMode = 'reject-400';
    await cli(['scan']);

    // 4. The token endpoint fails (500), echoing the secret: every check fails with its text.
    tokenMode = 'fail-500';
    await cli(['scan', '--json']);
    await listings(); // status lists the scans of 2–4 with their errors

    expect(issued.length).toBeGreaterThan(1);
    expect(await t.db.scan.count({ where: { error: { not: null } } })).toBeGreaterThan(0);
    expect(await t.db.alert.count({ where: { kind: { not: 'document' } } })).toBeGreaterThan(0);
    expect(smtp.messages.length).toBeGreaterThan(0);

    const places = [
      ...outputs,
      ...(await rows("SELECT customer_id || ': ' || coalesce(last_error, '') AS row FROM tracked_customers")).map((text) => ({ what: 'tracked_customers.last_error', text })),
      ...(await rows("SELECT coalesce(error, '') AS row FROM scans")).map((text) => ({ what: 'scans.error', text })),
      ...(await rows('SELECT row_to_json(a)::text AS row FROM alerts a')).map((text) => ({ what: 'alerts row', text })),
      ...smtp.messages.map((m) => ({ what: `email "${String(m.parsed.subject)}"`, text: `${m.raw}\n${m.parsed.text ?? ''}\n${typeof m.parsed.html === 'string' ? m.parsed.html : ''}` })),
    ];
    const secrets: Record<string, string> = { 'client secret': CLIENT_SECRET, 'token header': TOKEN_HEADER };
    for (const [i, token] of issued.entries()) secrets[`issued access token ${i}`] = token;
    const leaks = new Set<string>();
    for (const { what, text } of places) {
      for (const [name, secret] of Object.entries(secrets)) {
        if (text.includes(secret)) leaks.add(`${name} in ${what}`);
        if (text.includes(encodeURIComponent(secret))) leaks.add(`${name} (URL-encoded) in ${what}`);
      }
    }
    expect([...leaks]).toEqual([]);
  });
});
