import { customerIdProblem, displayId } from '../domain/customer-id.js';
import { Secrets } from '../secrets.js';
import { Attempts, BodyTooLarge, networkErrorCode, RedirectRefused } from './attempts.js';
import type { CyrexaEndpoint } from './endpoint.js';
import { CyrexaError } from './errors.js';
import { unlimited, type RateLimiter } from './rate-limit.js';

// A customer's display name, from `GET /getDetailsById/{customerId}` (cyrexa-api.md), for alert
// emails. The answer also carries the person's password and PIN: only `customer.customerName`
// is taken from it, and no part of the body is ever put in an error, a log line or a cache.
// One attempt, no retry: a name is a nicety, and an email never waits long for one
// (deliver/customer-names.ts bounds the wait); the request counts in the shared rate limit.

export type CustomerDetailsOptions = CyrexaEndpoint;

/** Longest name kept: a longer one is cut (it goes into a table cell). */
export const MAX_NAME_LENGTH = 120;
const MAX_BODY_BYTES = 256 * 1024;

/** Why no name: a stable word (`http-404`, `timeout`, `no-name` …) and a message naming no part of the body. */
export class CustomerNameError extends CyrexaError {
  override name = 'CustomerNameError';
}

export class CustomerDetailsClient {
  private readonly rateLimiter: RateLimiter;
  private readonly secrets: Secrets;

  constructor(private readonly options: CustomerDetailsOptions) {
    this.rateLimiter = options.rateLimiter ?? unlimited;
    this.secrets = options.secrets ?? new Secrets();
  }

  detailsUrl(customerId: string): string {
    return `${this.options.baseUrl}/getDetailsById/${encodeURIComponent(customerId)}`;
  }

  /** The customer's name as Cyrexa has it, one line, scrubbed; throws CustomerNameError when there is none to show. */
  async customerName(customerId: string, signal?: AbortSignal): Promise<string> {
    const who = `getDetailsById for ${displayId(customerId)}`;
    const problem = customerIdProblem(customerId);
    if (problem !== null) throw new CustomerNameError(`customer id ${displayId(customerId)} ${problem}`, { reason: 'invalid-customer-id', retryable: false });
    const token = await this.options.tokens.getToken();
    await this.rateLimiter.acquire(signal);
    const attempts = new Attempts({ maxBodyBytes: MAX_BODY_BYTES, maxErrorBodyBytes: 0, ...(this.options.fetch ? { fetch: this.options.fetch } : {}), ...(this.options.onAttempt ? { onAttempt: this.options.onAttempt } : {}) });
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    let status: number;
    try {
      const response = await attempts.fetch(this.detailsUrl(customerId), {
        headers: { tenantId: this.options.tenantId, authorization: `Bearer ${token}`, token: this.options.tokenHeader ?? token, accept: 'application/json' },
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      status = response.status;
    } catch (error) {
      if (deadline.aborted) throw new CustomerNameError(`${who} timed out after ${this.options.timeoutMs} ms`, { reason: 'timeout', retryable: true });
      if (signal?.aborted) throw new CustomerNameError(`${who} was given up (no time left)`, { reason: 'timeout', retryable: true });
      if (error instanceof RedirectRefused) throw new CustomerNameError(`${who} answered a redirect (${error.status}), which is not followed`, { reason: 'redirect', retryable: false, status: error.status });
      if (error instanceof BodyTooLarge) throw new CustomerNameError(`${who}: response body larger than ${error.maxBytes} bytes`, { reason: 'too-large', retryable: false });
      throw new CustomerNameError(`${who} failed (${this.secrets.scrub(networkErrorCode(error))})`, { reason: 'unreachable', retryable: true });
    }
    if (status < 200 || status >= 300) throw new CustomerNameError(`${who} answered ${status}`, { reason: `http-${status}`, retryable: status >= 500 || status === 429, status });
    const name = this.nameIn(attempts.body);
    attempts.body = '';
    if (name === null) throw new CustomerNameError(`${who}: the answer holds no customer.customerName`, { reason: 'invalid-response', retryable: false });
    return name;
  }

  /** `customer.customerName` and nothing else: the rest of the body is never looked at. */
  private nameIn(body: string): string | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return null;
    }
    const customer = (parsed as { customer?: unknown } | null)?.customer;
    const raw = customer !== null && typeof customer === 'object' ? (customer as { customerName?: unknown }).customerName : undefined;
    if (typeof raw !== 'string') return null;
    // eslint-disable-next-line no-control-regex
    const line = raw.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
    // A name that holds one of our secrets is an echo, not a name.
    if (line === '' || this.secrets.scrub(line) !== line) return null;
    return line.length > MAX_NAME_LENGTH ? `${line.slice(0, MAX_NAME_LENGTH - 1)}…` : line;
  }
}
