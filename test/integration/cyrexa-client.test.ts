import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CyrexaClient, type CyrexaClientOptions } from '../../src/cyrexa/client.js';
import { CredentialsRejectedError, CyrexaError, CyrexaResponseError, TenantMismatchError } from '../../src/cyrexa/errors.js';
import { ClientCredentialsTokenProvider, StaticTokenProvider } from '../../src/cyrexa/token-provider.js';
import { Sandbox, type FailureMode } from '../../src/sandbox/server.js';
import { Secrets } from '../../src/secrets.js';

// The client against real HTTP servers: the sandbox, and small raw servers for the odd cases.

const docs = [{ purpose: 'KYC', name: 'p', documentType: 'Passport', location: '/p.pdf', verificationResponse: 'ok', status: 'verified', metadata: [] }];

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await new Sandbox({ tenantId: 'tenant-1', accessToken: 'static-access-token', clientId: 'cid', clientSecret: 'client-secret-value', customers: 5 }).start();
});
afterAll(() => sandbox.close());
afterEach(() => {
  sandbox.clearFailures();
  sandbox.resetStats();
});

function client(over: Partial<CyrexaClientOptions> = {}): CyrexaClient {
  return new CyrexaClient({
    baseUrl: sandbox.url,
    tenantId: 'tenant-1',
    tokens: new StaticTokenProvider('static-access-token'),
    tokenHeader: 'token-header-value',
    timeoutMs: 2_000,
    backoffBaseMs: 10,
    backoffCapMs: 50,
    ...over,
  });
}

async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler?.(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('CyrexaClient', () => {
  it('sends the three required headers and reads the documents', async () => {
    sandbox.setDocuments('cust-a', docs);
    const documents = await client().getDocuments('cust-a');
    expect(documents).toEqual([{ purpose: 'KYC', name: 'p', documentType: 'Passport', location: '/p.pdf', verificationResponse: 'ok', status: 'verified', metadata: [] }]);
    await expect(client({ tenantId: 'other' }).getDocuments('cust-a')).rejects.toBeInstanceOf(CredentialsRejectedError);
  });

  it('sends headers exactly as the API documents them and percent-encodes the id', async () => {
    let seen: { url?: string; headers?: Record<string, unknown> } = {};
    const raw = await rawServer((req, res) => {
      seen = { url: req.url, headers: req.headers };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"documents":[]}');
    });
    try {
      await client({ baseUrl: raw.url }).getDocuments('a.b_c-9');
      expect(seen.url).toBe('/getDocuments/a.b_c-9');
      expect(seen.headers).toMatchObject({ authorization: 'Bearer static-access-token', tenantid: 'tenant-1', token: 'token-header-value' });
      expect(client().documentsUrl('a.b')).toBe(`${sandbox.url}/getDocuments/a.b`);
    } finally {
      raw.server.close();
    }
  });

  it.each(['..', '%2e%2e', 'a/b', 'x?y#', 'x'.repeat(500), 'a\u0000b'])('rejects the id %j before any request', async (id) => {
    await expect(client().getDocuments(id)).rejects.toMatchObject({ retryable: false });
    expect(sandbox.stats.requests).toBe(0);
  });

  it('accepts unknown statuses and missing optional fields', async () => {
    sandbox.setDocuments('cust-b', [{ status: 'suspended' }]);
    expect(await client().getDocuments('cust-b')).toEqual([{ purpose: '', name: '', documentType: '', location: null, verificationResponse: null, status: 'suspended', metadata: [] }]);
  });

  it('retries 503 and succeeds', async () => {
    sandbox.setDocuments('cust-c', docs);
    sandbox.failNext('cust-c', '503', 2);
    expect(await client().getDocuments('cust-c')).toHaveLength(1);
    expect(sandbox.stats.requests).toBe(3);
  });

  it('honours Retry-After on 429', async () => {
    sandbox.setDocuments('cust-d', docs);
    sandbox.failNext('cust-d', '429', 1, '1');
    const started = Date.now();
    expect(await client().getDocuments('cust-d')).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the attempts, saying the failure is retryable', async () => {
    sandbox.setDocuments('cust-e', docs);
    sandbox.failNext('cust-e', '500', 10);
    await expect(client({ maxAttempts: 3 }).getDocuments('cust-e')).rejects.toMatchObject({ name: 'CyrexaError', retryable: true, status: 500 });
    expect(sandbox.stats.requests).toBe(3);
  });

  it('does not retry permanent failures: 404, invalid JSON, a body that fails the schema', async () => {
    await expect(client().getDocuments('nobody')).rejects.toMatchObject({ retryable: false, status: 404 });
    sandbox.setDocuments('cust-f', docs);
    sandbox.failNext('cust-f', 'invalid-json', 1);
    await expect(client().getDocuments('cust-f')).rejects.toBeInstanceOf(CyrexaResponseError);
    sandbox.failNext('cust-f', 'schema', 1);
    await expect(client().getDocuments('cust-f')).rejects.toThrow(/documents/);
    expect(sandbox.stats.requests).toBe(3);
  });

  it('times out a request that gets no answer', async () => {
    sandbox.setDocuments('cust-g', docs);
    sandbox.failNext('cust-g', 'timeout', 1);
    await expect(client({ timeoutMs: 300, maxAttempts: 1 }).getDocuments('cust-g')).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('timed out') });
  });

  it('times out a body trickled too slowly, and refuses a body that is too large', async () => {
    const raw = await rawServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.includes('slow')) {
        res.write('{"documents":[');
        const timer = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(timer));
      } else {
        res.end(`{"documents":[],"pad":"${'x'.repeat(6 * 1024 * 1024)}"}`);
      }
    });
    try {
      await expect(client({ baseUrl: raw.url, timeoutMs: 500, maxAttempts: 1 }).getDocuments('slow')).rejects.toThrow(/timed out/);
      await expect(client({ baseUrl: raw.url, maxAttempts: 1 }).getDocuments('big')).rejects.toBeInstanceOf(CyrexaResponseError);
      await expect(client({ baseUrl: raw.url }).getDocuments('big')).rejects.toMatchObject({ reason: 'too-large', retryable: false });
    } finally {
      raw.server.closeAllConnections();
      raw.server.close();
    }
  });

  it('does not follow a redirect to another origin', async () => {
    const target = await rawServer((_req, res) => res.end('{"documents":[]}'));
    const redirector = await rawServer((_req, res) => {
      res.writeHead(302, { location: `${target.url}/steal` });
      res.end();
    });
    try {
      await expect(client({ baseUrl: redirector.url }).getDocuments('x')).rejects.toMatchObject({ retryable: false, status: 302, reason: 'redirect' });
      expect(redirector.requests).toHaveLength(1);
      expect(target.requests).toEqual([]);
    } finally {
      target.server.close();
      redirector.server.close();
    }
  });

  it('with a static token, a 401 is a credentials error at once', async () => {
    sandbox.setDocuments('cust-h', docs);
    await expect(client({ tokens: new StaticTokenProvider('wrong') }).getDocuments('cust-h')).rejects.toMatchObject({ name: 'CredentialsRejectedError', reason: 'credentials-rejected', retryable: false });
    expect(sandbox.stats.requests).toBe(1);
  });
});

describe('failure reasons, retries and the rate limiter', () => {
  it.each([
    ['404', 'http-404', false],
    ['500', 'http-500', true],
    ['invalid-json', 'invalid-response', false],
    ['schema', 'invalid-response', false],
    ['timeout', 'timeout', true],
    ['reset', 'unreachable', true],
  ] as const)('a %s fails with reason %s', async (mode, reason, retryable) => {
    sandbox.setDocuments('cust-r', docs);
    sandbox.failNext('cust-r', mode as FailureMode, 10);
    await expect(client({ timeoutMs: 300, maxAttempts: 2 }).getDocuments('cust-r')).rejects.toMatchObject({ reason, retryable });
    expect(sandbox.stats.requests).toBe(retryable ? 2 : 1);
  });

  it('an API nobody listens on is unreachable', async () => {
    const raw = await rawServer(() => undefined);
    const url = raw.url;
    await new Promise((r) => raw.server.close(r));
    await expect(client({ baseUrl: url, maxAttempts: 2 }).getDocuments('x')).rejects.toMatchObject({ reason: 'unreachable', retryable: true });
  });

  it('acquires the rate limiter before every attempt and reports each attempt', async () => {
    sandbox.setDocuments('cust-l', docs);
    sandbox.failNext('cust-l', '503', 2);
    let acquired = 0;
    const attempts: Array<number | string> = [];
    const rateLimiter = { acquire: () => Promise.resolve(void acquired++) };
    expect(await client({ rateLimiter, onAttempt: (a) => attempts.push(a.status) }).getDocuments('cust-l')).toHaveLength(1);
    expect(acquired).toBe(3);
    expect(attempts).toEqual([503, 503, 200]);
  });

  it('caps Retry-After at maxRetryAfterMs', async () => {
    sandbox.setDocuments('cust-m', docs);
    sandbox.failNext('cust-m', '429', 1, '86400');
    const c = client({ maxRetryAfterMs: 50, timeoutMs: 2_000 });
    expect(await c.getDocuments('cust-m', AbortSignal.timeout(20_000))).toHaveLength(1);
    expect(sandbox.stats.requests).toBe(2);
  });

  it('stops at once when the caller aborts, with the caller\'s reason', async () => {
    sandbox.setDocuments('cust-n', docs);
    sandbox.failNext('cust-n', 'timeout', 1);
    const controller = new AbortController();
    const arrived = new Promise<void>((resolve) => (sandbox.onDocumentsRequest = () => resolve()));
    const pending = client({ timeoutMs: 60_000 }).getDocuments('cust-n', controller.signal);
    await arrived;
    sandbox.onDocumentsRequest = undefined;
    controller.abort(new Error('scan interrupted'));
    await expect(pending).rejects.toThrow('scan interrupted');
    expect(sandbox.stats.requests).toBe(1);
  });
});

describe('the response tenant (SPEC §4)', () => {
  it('a response for another tenant is a permanent failure naming both tenants', async () => {
    const raw = await rawServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tenantId: req.url?.includes('none') ? undefined : 'tenant-2', documents: docs }));
    });
    try {
      const error = await client({ baseUrl: raw.url }).getDocuments('other').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TenantMismatchError);
      expect(error).toBeInstanceOf(CyrexaError);
      expect(error).toMatchObject({ reason: 'tenant-mismatch', retryable: false });
      expect((error as Error).message).toMatch(/tenant-2/);
      expect((error as Error).message).toMatch(/tenant-1/);
      expect(raw.requests).toHaveLength(1);
      expect(await client({ baseUrl: raw.url }).getDocuments('none')).toHaveLength(1);
    } finally {
      raw.server.close();
    }
  });
});

describe('text Postgres cannot store', () => {
  it('arrives as U+FFFD: NUL (valid JSON) and lone surrogates, in every text field', async () => {
    const raw = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"tenantId":"tenant-1","documents":[{"purpose":"K\\u0000YC","name":"a\\u0000b","documentType":"\\ud800x","location":"/\\u0000","verificationResponse":"ok\\udc00","status":"verified\\u0000","metadata":[{"name":"exp\\u0000iry","type":"String","value":"2027-01-01\\u0000"},{"name":1,"value":"x"},"junk"]}]}');
    });
    try {
      expect(await client({ baseUrl: raw.url }).getDocuments('nul')).toEqual([
        {
          purpose: 'K\uFFFDYC',
          name: 'a\uFFFDb',
          documentType: '\uFFFDx',
          location: '/\uFFFD',
          verificationResponse: 'ok\uFFFD',
          status: 'verified\uFFFD',
          // Metadata entries with text name and value, storable; the others left out.
          metadata: [{ name: 'exp\uFFFDiry', type: 'String', value: '2027-01-01\uFFFD' }],
        },
      ]);
    } finally {
      raw.server.close();
    }
  });
});

describe('client credentials', () => {
  const provider = () =>
    new ClientCredentialsTokenProvider({ tokenUrl: `${sandbox.url}/oauth/token`, clientId: 'cid', clientSecret: 'client-secret-value', scope: undefined, timeoutMs: 2_000 });

  it('fetches a token once, caches it, and refreshes it once on a 401', async () => {
    sandbox.setDocuments('cust-i', docs);
    const c = client({ tokens: provider(), tokenHeader: undefined });
    await c.getDocuments('cust-i');
    await c.getDocuments('cust-i');
    expect(sandbox.stats.tokensIssued).toBe(1);
    sandbox.revokeTokens();
    expect(await c.getDocuments('cust-i')).toHaveLength(1);
    expect(sandbox.stats.tokensIssued).toBe(2);
  });

  it('a second 401 after the refresh is a credentials error, not a loop', async () => {
    sandbox.setDocuments('cust-j', docs);
    sandbox.failNext('cust-j', '401', 5);
    await expect(client({ tokens: provider(), tokenHeader: undefined }).getDocuments('cust-j')).rejects.toBeInstanceOf(CredentialsRejectedError);
    expect(sandbox.stats.requests).toBe(2);
    expect(sandbox.stats.tokensIssued).toBe(2);
  });

  it('retries the token endpoint\'s transient failures, and remembers each issued token as a secret', async () => {
    let calls = 0;
    const raw = await rawServer((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(503, { 'retry-after': '0' });
        res.end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'issued-token-xyz', expires_in: 60 }));
    });
    try {
      const secrets = new Secrets();
      const p = new ClientCredentialsTokenProvider({ tokenUrl: `${raw.url}/token`, clientId: 'cid', clientSecret: 'client-secret-value', scope: undefined, timeoutMs: 2_000, secrets });
      expect(await p.getToken()).toBe('issued-token-xyz');
      expect(calls).toBe(2);
      expect(secrets.scrub('echo issued-token-xyz')).toBe('echo [REDACTED]');
    } finally {
      raw.server.close();
    }
  });

  it('refreshes shortly before expiry', async () => {
    let now = 0;
    const p = new ClientCredentialsTokenProvider({ tokenUrl: `${sandbox.url}/oauth/token`, clientId: 'cid', clientSecret: 'client-secret-value', scope: 'documents', timeoutMs: 2_000, now: () => now });
    const first = await p.getToken();
    now = 2399_000 - 61_000;
    expect(await p.getToken()).toBe(first);
    now = 2399_000 - 59_000;
    expect(await p.getToken()).not.toBe(first);
  });

  it('rejected client credentials surface as a credentials error without the secret', async () => {
    const bad = new ClientCredentialsTokenProvider({ tokenUrl: `${sandbox.url}/oauth/token`, clientId: 'cid', clientSecret: 'wrong-secret-zz', scope: undefined, timeoutMs: 2_000 });
    const error = await client({ tokens: bad }).getDocuments('cust-a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(JSON.stringify({ m: (error as Error).message, c: String((error as Error).cause) })).not.toContain('wrong-secret-zz');
    expect(error).toBeInstanceOf(CyrexaError);
  });
});
