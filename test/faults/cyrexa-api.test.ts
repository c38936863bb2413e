import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseEnv, runCli } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtp.js';

// Fault 5: a hostile or failing Cyrexa API during a real `kyc-monitor scan`. Every customer
// has a baseline first; then each one meets one fault. Transient faults are retried until the
// unchanged documents come back; permanent ones fail the check. None changes a snapshot or
// raises a document alert.

const ACCESS_TOKEN = 'api-fault-access-token-61c2';
const documents = (id: string, status: string) => ({
  tenantId: 'tenant-f',
  documents: [
    { purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}/p.pdf`, verificationResponse: 'ok', status: 'verified', metadata: [] },
    { purpose: 'KYB', name: 'register', documentType: 'registeredAddress', location: `/${id}/r.pdf`, verificationResponse: 'checked', status, metadata: [] },
  ],
});

type Behaviour = (res: ServerResponse, attempt: number, id: string) => boolean;
const TWENTY_MB = (() => {
  const doc = JSON.stringify(documents('f-20mb', 'expired').documents[1]);
  return `{"tenantId":"tenant-f","documents":[${Array.from({ length: Math.ceil((20 * 1024 * 1024) / doc.length) }, () => doc).join(',')}]}`;
})();
const ok = (res: ServerResponse, id: string, status = 'verified') => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(documents(id, status)));
};
const status = (res: ServerResponse, code: number, headers: Record<string, string> = {}) => {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ status: code, message: 'no' }));
};

let target: { server: Server; requests: IncomingMessage[] };
/** Each behaviour answers the hostile round; `true` means it answered with a fault. */
const HOSTILE: Record<string, Behaviour> = {
  // Transient: retried, then the unchanged documents.
  't-429-seconds': (res, n) => (n === 1 ? (status(res, 429, { 'retry-after': '1' }), true) : false),
  't-429-date': (res, n) => (n === 1 ? (status(res, 429, { 'retry-after': new Date(Date.now() + 1500).toUTCString() }), true) : false),
  't-429-absurd': (res, n) => (n === 1 ? (status(res, 429, { 'retry-after': '86400' }), true) : false),
  't-503-burst': (res, n) => (n <= 2 ? (status(res, 503), true) : false),
  't-reset': (res, n) => (n === 1 ? (res.socket?.destroy(), true) : false),
  // Permanent, or transient for longer than the retries last: the check fails.
  'f-503-always': (res) => (status(res, 503), true),
  'f-reset-always': (res) => (res.socket?.destroy(), true),
  'f-404': (res) => (status(res, 404), true),
  'f-malformed': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"tenantId":"tenant-f","documents":[{"status":');
    return true;
  },
  'f-schema': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ tenantId: 'tenant-f', documents: [{ purpose: 42, status: ['expired'] }] }));
    return true;
  },
  'f-20mb': (res) => {
    // Built once, beforehand: building it per request could outlast the client's timeout on a
    // busy machine, and a timeout is retried (this is about the size, not the time).
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(TWENTY_MB);
    return true;
  },
  'f-trickle': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"tenantId":"tenant-f","documents":[');
    const timer = setInterval(() => res.write(' '), 200);
    res.on('close', () => clearInterval(timer));
    return true;
  },
  'f-redirect': (res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${(target.server.address() as AddressInfo).port}/getDocuments/f-redirect` });
    res.end();
    return true;
  },
};
const CUSTOMERS = Object.keys(HOSTILE);

let hostile = false;
const attempts = new Map<string, number>();
let api: Server;
let apiUrl: string;
let smtp: TestSmtpServer;
let t: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  api = createServer((req, res) => {
    const id = decodeURIComponent(req.url?.split('/getDocuments/')[1] ?? '');
    if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return status(res, 401);
    const n = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, n);
    const behaviour = HOSTILE[id];
    if (hostile && behaviour && behaviour(res, n, id)) return;
    ok(res, id);
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const requests: IncomingMessage[] = [];
  target = { server: createServer((req, res) => (requests.push(req), ok(res, 'stolen', 'expired'))), requests };
  await new Promise<void>((r) => target.server.listen(0, '127.0.0.1', r));
  smtp = await new TestSmtpServer().start();
  t = await createTestDatabase();
  await t.db.trackedCustomer.createMany({ data: CUSTOMERS.map((customerId) => ({ customerId })) });
  env = baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: apiUrl,
    CYREXA_TENANT_ID: 'tenant-f',
    // Retries of transient API failures start after 50 ms instead of 500 (CYREXA_RETRY_BASE_MS).
    CYREXA_RETRY_BASE_MS: '50',
    CYREXA_ACCESS_TOKEN: ACCESS_TOKEN,
    // Short, for the trickling answer; long enough that on a busy machine no answer that is
    // there to be read times out (a timeout is retried: the counts below would be off).
    CYREXA_TIMEOUT_MS: '3000',
    CYREXA_MAX_RPS: '500',
    // 't-429-absurd' asks for a day: the cap, made small here, is what it waits.
    CYREXA_MAX_RETRY_AFTER_SECONDS: '2',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    HTTP_PORT: '0',
    LOG_LEVEL: 'debug',
  });
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
  await new Promise((r) => target.server.close(r));
  await smtp.close();
  await t.drop();
});

describe('a hostile Cyrexa API during a scan', { timeout: 240_000 }, () => {
  it('changes no snapshot and raises no document alert; transient faults are retried, permanent ones fail the check', async () => {
    const baseline = await runCli(['scan', '--json'], env);
    expect(baseline.code, baseline.stderr).toBe(0);
    expect(JSON.parse(baseline.stdout)).toMatchObject({ customers: CUSTOMERS.length, checked: CUSTOMERS.length, failed: 0, alerts: 0 });
    const snapshotsBefore = await t.db.documentSnapshot.findMany({ orderBy: [{ customerId: 'asc' }, { name: 'asc' }], omit: { updatedAt: true } });
    const eventsBefore = await t.db.documentEvent.count();

    hostile = true;
    attempts.clear();
    const round = await runCli(['scan', '--json'], env);
    expect(round.code, round.stderr).toBe(0);
    const failing = CUSTOMERS.filter((id) => id.startsWith('f-'));
    expect(JSON.parse(round.stdout)).toMatchObject({ customers: CUSTOMERS.length, checked: CUSTOMERS.length - failing.length, failed: failing.length, changes: 0, alerts: 0 });

    expect(await t.db.documentSnapshot.findMany({ orderBy: [{ customerId: 'asc' }, { name: 'asc' }], omit: { updatedAt: true } })).toEqual(snapshotsBefore);
    expect(await t.db.documentEvent.count()).toBe(eventsBefore);
    expect(await t.db.alert.count({ where: { kind: 'document' } })).toBe(0);
    const outcomes = Object.fromEntries((await t.db.trackedCustomer.findMany()).map((c) => [c.customerId, c.lastOutcome]));
    for (const id of CUSTOMERS) expect(outcomes[id], id).toBe(id.startsWith('f-') ? 'failed' : 'ok');

    // Permanent failures are not retried; transient ones are, a bounded number of times.
    for (const id of ['f-404', 'f-malformed', 'f-schema', 'f-20mb', 'f-redirect']) expect(attempts.get(id), id).toBe(1);
    for (const id of ['f-503-always', 'f-reset-always', 'f-trickle']) expect(attempts.get(id), id).toBeGreaterThan(1);
    expect(attempts.get('t-503-burst')).toBe(3);
    // The redirect was not followed: the other origin never saw a request, let alone the token.
    expect(target.requests).toHaveLength(0);
    expect(`${round.stdout}${round.stderr}`).not.toContain(ACCESS_TOKEN);
    expect(smtp.messages).toHaveLength(0);
  });
});
