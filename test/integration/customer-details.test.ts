import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerDetailsClient, type CustomerDetailsOptions } from '../../src/cyrexa/details.js';
import type { RateLimiter } from '../../src/cyrexa/rate-limit.js';
import { StaticTokenProvider } from '../../src/cyrexa/token-provider.js';
import { generatedDetails } from '../../src/sandbox/generator.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { Secrets } from '../../src/secrets.js';

// getDetailsById against the sandbox over HTTP (issue 11, item 3): the same headers as
// getDocuments, one slot of the shared rate limit per request, the name and nothing else.

const TOKEN = 'details-access-token-31f9';
const HEADER = 'details-token-header-77ab';
let sandbox: Sandbox;

/** Counts the slots taken: the rate limiter is the seam (its Redis side is tested in rate-limit.test.ts). */
class CountingLimiter implements RateLimiter {
  taken = 0;
  acquire(): Promise<undefined> {
    this.taken++;
    return Promise.resolve(undefined);
  }
}

function client(overrides: Partial<CustomerDetailsOptions> = {}): CustomerDetailsClient {
  return new CustomerDetailsClient({
    baseUrl: sandbox.url,
    tenantId: 'sandbox-tenant',
    tokens: new StaticTokenProvider(TOKEN),
    tokenHeader: HEADER,
    timeoutMs: 5_000,
    secrets: new Secrets([TOKEN, HEADER]),
    ...overrides,
  });
}

beforeAll(async () => {
  sandbox = await new Sandbox({ customers: 3, accessToken: TOKEN, tokenHeader: HEADER }).start();
});
afterAll(async () => {
  await sandbox?.close();
});

describe('CustomerDetailsClient', () => {
  it("reads the customer's name, one request and one rate-limit slot per lookup", async () => {
    const limiter = new CountingLimiter();
    const names = client({ rateLimiter: limiter });
    sandbox.setCustomerName('cust-000002', '  Northwind\nTrading Ltd ');
    expect(await names.customerName('cust-000001')).toBe(generatedDetails(1, 'cust-000001').customer.customerName);
    expect(await names.customerName('cust-000002')).toBe('Northwind Trading Ltd');
    expect(limiter.taken).toBe(2);
    expect(sandbox.stats.detailsRequests).toMatchObject({ 'cust-000001': 1, 'cust-000002': 1 });
  });

  it('sends the headers getDocuments sends: without them, the sandbox refuses', async () => {
    await expect(client({ tenantId: 'other-tenant' }).customerName('cust-000001')).rejects.toMatchObject({ name: 'CustomerNameError', reason: 'http-401' });
    await expect(client({ tokenHeader: 'wrong-header' }).customerName('cust-000001')).rejects.toMatchObject({ reason: 'http-401' });
    await expect(client({ tokens: new StaticTokenProvider('wrong-token') }).customerName('cust-000001')).rejects.toMatchObject({ reason: 'http-401' });
  });

  it('fails with a reason and a message that hold no part of the body', async () => {
    sandbox.failDetailsNext('cust-000003', '500');
    const failure = await client().customerName('cust-000003').then(() => null, (error: unknown) => error);
    expect(failure).toMatchObject({ reason: 'http-500', message: 'getDetailsById for "cust-000003" answered 500' });
    await expect(client().customerName('nobody-here')).rejects.toMatchObject({ reason: 'http-404' });
    await expect(client().customerName('../etc')).rejects.toMatchObject({ reason: 'invalid-customer-id' });
  });

  it('takes a name that echoes the credentials for what it is: no name', async () => {
    sandbox.failDetailsNext('cust-000001', 'echo');
    const failure = (await client().customerName('cust-000001').then(() => null, (error: unknown) => error)) as Error;
    expect(failure).toMatchObject({ name: 'CustomerNameError', reason: 'invalid-response' });
    expect(failure.message).not.toContain(TOKEN);
    expect(failure.message).not.toContain(HEADER);
  });

  it('gives up at its timeout, or when the caller does', async () => {
    sandbox.failDetailsNext(null, 'timeout', 2);
    await expect(client({ timeoutMs: 200 }).customerName('cust-000001')).rejects.toMatchObject({ reason: 'timeout' });
    const caller = new AbortController();
    const lookup = client().customerName('cust-000002', caller.signal);
    caller.abort();
    await expect(lookup).rejects.toMatchObject({ reason: 'timeout' });
    sandbox.clearFailures();
  });
});
