import ky, { ForceRetryError, HTTPError, NetworkError, TimeoutError, type Options, type RetryOptions } from 'ky';
import type { ApiDocument } from '../domain/documents.js';
import { customerIdProblem, displayId } from '../domain/customer-id.js';
import { Secrets } from '../secrets.js';
import { Attempts, BodyTooLarge, networkErrorCode, RedirectRefused, type AttemptOptions } from './attempts.js';
import { bodySnippet, CredentialsRejectedError, CyrexaError, CyrexaResponseError, isRetryableStatus, RETRYABLE_STATUSES, TokenError } from './errors.js';
import { unlimited, type RateLimiter } from './rate-limit.js';
import type { CyrexaEndpoint } from './endpoint.js';
import { parseGetDocuments } from './schema.js';

// The Cyrexa customer API, as far as this product needs it: getDocuments with the three
// required headers, through ky, which retries transient failures (Retry-After honoured and
// capped), times out each attempt and, through a hook, retries once with a fresh token when
// the API rejects ours. Around it: the shared rate limit before every attempt, a bounded
// body read within the attempt's deadline, and typed failures with a stable reason.

export interface CyrexaClientOptions extends CyrexaEndpoint {
  /** Attempts per customer, the first included (a token refresh comes on top). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs?: number;
  maxBodyBytes?: number;
}

/** What the hooks of one call share (ky hands every hook the call's `context`). */
interface CallContext {
  attempts: Attempts;
  signal: AbortSignal | undefined;
}

function call(options: { context: Record<string, unknown> }): CallContext {
  return options.context as unknown as CallContext;
}

export interface DocumentsSource {
  getDocuments(customerId: string, signal?: AbortSignal): Promise<ApiDocument[]>;
}

export class CyrexaClient implements DocumentsSource {
  private readonly http: typeof ky;
  private readonly rateLimiter: RateLimiter;
  private readonly secrets: Secrets;
  private readonly maxRetries: number;
  private readonly retry: RetryOptions;
  private readonly attemptOptions: AttemptOptions;

  constructor(private readonly options: CyrexaClientOptions) {
    this.rateLimiter = options.rateLimiter ?? unlimited;
    this.secrets = options.secrets ?? new Secrets();
    this.maxRetries = (options.maxAttempts ?? 4) - 1;
    const base = options.backoffBaseMs ?? 500;
    this.retry = {
      // One more than the transient retries: the token refresh's (shouldRetry keeps the others to maxRetries).
      limit: this.maxRetries + 1,
      methods: ['get'],
      statusCodes: [...RETRYABLE_STATUSES],
      afterStatusCodes: [429, 503],
      maxRetryAfter: options.maxRetryAfterMs ?? 60_000,
      delay: (attempt) => base * 2 ** (attempt - 1),
      backoffLimit: options.backoffCapMs ?? 10_000,
      // Half fixed, half random: spread out, never an immediate retry.
      jitter: (delay) => delay / 2 + (Math.random() * delay) / 2,
      retryOnTimeout: true,
    };
    this.attemptOptions = {
      maxBodyBytes: options.maxBodyBytes ?? 5 * 1024 * 1024,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
    };
    // Everything the same for every call lives here, once: per call, ky merges only what differs.
    this.http = ky.create({
      // ky's per-attempt deadline is a timer cleared when the attempt ends (the body is read
      // within it, see attempts.ts). Lighter than an AbortSignal.timeout per request combined with
      // the caller's signal by AbortSignal.any: on Node 24.21 that keeps about 0.7 KB a request
      // alive until the timeout fires (145 MB for 200,000 requests with a 60 s timeout).
      timeout: options.timeoutMs,
      throwHttpErrors: true,
      // A redirect could carry our credentials to another origin: never follow one.
      redirect: 'manual',
      headers: { tenantId: options.tenantId, accept: 'application/json' },
      hooks: {
        // The first attempt is prepared before ky is called (a hook costs every request an options copy).
        beforeRetry: [({ request, options: o }) => this.prepareRetry(request, call(o))],
        // A static token cannot be replaced: then nothing is to be done on a 401 (and no hook runs).
        afterResponse: options.tokens.refreshable ? [({ response, options: o }) => this.refreshOnce(response, call(o).attempts)] : [],
      },
    });
  }

  documentsUrl(customerId: string): string {
    return `${this.options.baseUrl}/getDocuments/${encodeURIComponent(customerId)}`;
  }

  async getDocuments(customerId: string, signal?: AbortSignal): Promise<ApiDocument[]> {
    const problem = customerIdProblem(customerId);
    if (problem !== null) throw new CyrexaError(`customer id ${displayId(customerId)} ${problem}`, { reason: 'invalid-customer-id', retryable: false });
    const attempts = new Attempts(this.attemptOptions);
    try {
      await this.prepare(attempts, signal);
      await this.http.get(this.documentsUrl(customerId), this.callOptions(attempts, signal));
    } catch (error) {
      if (signal?.aborted) throw error;
      throw this.failure(error, customerId, attempts.body);
    }
    let json: unknown;
    try {
      json = JSON.parse(attempts.body);
    } catch {
      throw new CyrexaResponseError(`getDocuments for ${displayId(customerId)}: response is not JSON (${this.snippet(attempts.body).slice(0, 60)})`);
    }
    return parseGetDocuments(json, customerId, this.options.tenantId, this.secrets);
  }

  private callOptions(attempts: Attempts, signal: AbortSignal | undefined): Options {
    const context: CallContext = { attempts, signal };
    return {
      ...(signal ? { signal } : {}),
      headers: this.credentials(attempts.token),
      fetch: attempts.fetch,
      context: context as unknown as Record<string, unknown>,
      retry: {
        ...this.retry,
        // Transient retries stop at maxRetries, the refresh's retry not counted.
        shouldRetry: ({ retryCount }) => (retryCount > this.maxRetries + (attempts.refreshed ? 1 : 0) ? false : undefined),
      },
    };
  }

  /** Before every attempt, the first and each retry: the token to send, and a slot of the shared rate limit. */
  private async prepare(attempts: Attempts, signal: AbortSignal | undefined): Promise<void> {
    attempts.token = await this.token();
    // The shared limit counts every attempt: a retry is a request like any other.
    await this.rateLimiter.acquire(signal);
  }

  private async prepareRetry(request: Request, { attempts, signal }: CallContext): Promise<void> {
    await this.prepare(attempts, signal);
    for (const [name, value] of Object.entries(this.credentials(attempts.token))) request.headers.set(name, value);
  }

  private credentials(token: string): Record<string, string> {
    return { authorization: `Bearer ${token}`, token: this.options.tokenHeader ?? token };
  }

  /** The API rejected our token: once per call, a new one is fetched (by prepare) and the request retried. */
  private refreshOnce(response: Response, attempts: Attempts): ReturnType<typeof ky.retry> | undefined {
    const rejected = response.status === 401 || response.status === 403;
    if (!rejected || attempts.refreshed || !this.options.tokens.invalidate(attempts.token)) return undefined;
    attempts.refreshed = true;
    return ky.retry({ code: 'TOKEN_REFRESHED', delay: 0 });
  }

  /** The access token to send; a token endpoint that refuses our client is a credentials failure. */
  private async token(): Promise<string> {
    try {
      return await this.options.tokens.getToken();
    } catch (error) {
      if (error instanceof TokenError && !error.retryable) {
        throw new CredentialsRejectedError(`credentials rejected by the token endpoint: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /** What the last failure means for this customer. ky's own errors are not kept as causes: they hold the request and its headers. */
  private failure(error: unknown, customerId: string, body: string): unknown {
    const who = `getDocuments for ${displayId(customerId)}`;
    if (error instanceof CyrexaError) return error;
    if (error instanceof TimeoutError) return new CyrexaError(`${who} timed out after ${this.options.timeoutMs} ms`, { reason: 'timeout', retryable: true });
    if (error instanceof NetworkError) {
      return new CyrexaError(`${who} failed (${this.secrets.scrub(networkErrorCode(error.cause))})`, { reason: 'unreachable', retryable: true, cause: error.cause });
    }
    if (error instanceof RedirectRefused) {
      return new CyrexaError(`${who} answered a redirect (${error.status}), which is not followed`, { reason: 'redirect', retryable: false, status: error.status });
    }
    if (error instanceof BodyTooLarge) return new CyrexaResponseError(`${who}: response body larger than ${error.maxBytes} bytes`, { reason: 'too-large', status: 200 });
    if (error instanceof HTTPError) {
      const status = error.response.status;
      if (status === 401 || status === 403) return new CredentialsRejectedError(`Cyrexa rejected the credentials (${status}): ${this.snippet(body)}`, { status });
      return new CyrexaError(`${who} answered ${status}: ${this.snippet(body)}`, { reason: `http-${status}`, retryable: isRetryableStatus(status), status });
    }
    // The refresh's retry is always within the limit; should that ever change, say what happened.
    if (error instanceof ForceRetryError) return new CredentialsRejectedError(`Cyrexa rejected the credentials and no retry was left: ${this.snippet(body)}`);
    return error;
  }

  private snippet(body: string): string {
    return bodySnippet(this.secrets.scrub(body));
  }
}
