import ky from 'ky';
import type { ApiDocument } from '../domain/documents.js';
import { customerIdProblem, displayId } from '../domain/customer-id.js';
import { bodySnippet, CyrexaAuthError, CyrexaError, CyrexaResponseError, isRetryableStatus, TokenError } from './errors.js';
import { unlimited, sleep, type RateLimiter } from './rate-limit.js';
import { backoffDelay, parseRetryAfter } from './retry-timing.js';
import { parseGetDocuments } from './schema.js';
import type { TokenProvider } from './token-provider.js';

// The Cyrexa customer API, as far as this product needs it: getDocuments with the three
// required headers, a bounded body, typed failures, retries of transient ones, and one token
// refresh on a 401.

export interface CyrexaClientOptions {
  baseUrl: string;
  tenantId: string;
  tokens: TokenProvider;
  /** Fixed `token` header; undefined sends the current access token. */
  tokenHeader: string | undefined;
  timeoutMs: number;
  rateLimiter?: RateLimiter;
  /** Attempts per customer, the first included. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs?: number;
  maxBodyBytes?: number;
  fetch?: typeof globalThis.fetch;
  /** Called once per HTTP attempt (metrics, benchmark). */
  onAttempt?: (outcome: { status: number | 'network' | 'timeout'; ms: number }) => void;
}

export interface DocumentsSource {
  getDocuments(customerId: string, signal?: AbortSignal): Promise<ApiDocument[]>;
}

export class CyrexaClient implements DocumentsSource {
  private readonly http: typeof ky;
  private readonly rateLimiter: RateLimiter;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: CyrexaClientOptions) {
    this.rateLimiter = options.rateLimiter ?? unlimited;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffCapMs = options.backoffCapMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
    this.http = ky.create({
      // The deadline below covers the answer and its body together.
      timeout: false,
      retry: 0,
      throwHttpErrors: false,
      // A redirect could carry our credentials to another origin: never follow one.
      redirect: 'manual',
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  documentsUrl(customerId: string): string {
    return `${this.options.baseUrl}/getDocuments/${encodeURIComponent(customerId)}`;
  }

  async getDocuments(customerId: string, signal?: AbortSignal): Promise<ApiDocument[]> {
    const problem = customerIdProblem(customerId);
    if (problem !== null) throw new CyrexaError(`customer id ${displayId(customerId)} ${problem}`, { retryable: false });
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(customerId, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        const rejected = error instanceof CyrexaAuthError ? rejectedTokens.get(error) : undefined;
        if (rejected !== undefined && !refreshed && this.options.tokens.invalidate(rejected)) {
          refreshed = true;
          attempt--;
          continue;
        }
        if (!(error instanceof CyrexaError) || !error.retryable || attempt >= this.maxAttempts) throw error;
        const wait = error.retryAfterMs ?? backoffDelay(attempt, this.backoffBaseMs, this.backoffCapMs);
        await sleep(wait, signal);
      }
    }
  }

  private async attempt(customerId: string, signal?: AbortSignal): Promise<ApiDocument[]> {
    let token: string;
    try {
      token = await this.options.tokens.getToken();
    } catch (error) {
      if (error instanceof TokenError && !error.retryable) {
        throw new CyrexaAuthError(`credentials rejected by the token endpoint: ${error.message}`, { retryable: false, cause: error });
      }
      throw error;
    }
    await this.rateLimiter.acquire(signal);
    // One controller per attempt, its timer cleared as soon as the attempt ends: AbortSignal.timeout
    // and AbortSignal.any would keep every request's signal alive for the whole timeout.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(new DOMException(`timed out after ${this.options.timeoutMs} ms`, 'TimeoutError')), this.options.timeoutMs);
    const onAbort = () => attempt.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.send(customerId, token, attempt.signal, signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** One HTTP exchange; `deadline` aborts on the timeout or with `signal`. */
  private async send(customerId: string, token: string, deadline: AbortSignal, signal?: AbortSignal): Promise<ApiDocument[]> {
    const started = performance.now();
    let response: Response;
    try {
      response = await this.http.get(this.documentsUrl(customerId), {
        headers: {
          authorization: `Bearer ${token}`,
          tenantId: this.options.tenantId,
          token: this.options.tokenHeader ?? token,
          accept: 'application/json',
        },
        signal: deadline,
      });
    } catch (error) {
      const timedOut = deadline.aborted;
      this.options.onAttempt?.({ status: timedOut ? 'timeout' : 'network', ms: performance.now() - started });
      if (signal?.aborted) throw error;
      const what = timedOut ? `timed out after ${this.options.timeoutMs} ms` : `failed (${describeNetworkError(error)})`;
      // No answer at all: whatever the cause, a later attempt may get one.
      throw new CyrexaError(`getDocuments for ${displayId(customerId)} ${what}`, { retryable: true, cause: error });
    }
    this.options.onAttempt?.({ status: response.status, ms: performance.now() - started });
    const status = response.status;
    if (status >= 300 && status < 400 || response.type === 'opaqueredirect') {
      await response.body?.cancel();
      throw new CyrexaError(`getDocuments for ${displayId(customerId)} answered a redirect (${status}), which is not followed`, { retryable: false, status });
    }
    let body: string;
    try {
      body = await readBody(response, this.maxBodyBytes, deadline);
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof BodyTooLarge) {
        throw new CyrexaResponseError(`getDocuments for ${displayId(customerId)}: response body larger than ${this.maxBodyBytes} bytes`, { retryable: false, status });
      }
      throw new CyrexaError(`getDocuments for ${displayId(customerId)}: reading the response ${deadline.aborted ? `timed out after ${this.options.timeoutMs} ms` : 'failed'}`, {
        retryable: true,
        status,
        cause: error,
      });
    }
    if (status === 401 || status === 403) {
      const error = new CyrexaAuthError(`Cyrexa rejected the credentials (${status}): ${bodySnippet(body)}`, { retryable: false, status });
      rejectedTokens.set(error, token);
      throw error;
    }
    if (status < 200 || status >= 300) {
      const retryable = isRetryableStatus(status);
      throw new CyrexaError(`getDocuments for ${displayId(customerId)} answered ${status}: ${bodySnippet(body)}`, {
        retryable,
        status,
        ...(retryable ? { retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now(), this.maxRetryAfterMs) } : {}),
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new CyrexaResponseError(`getDocuments for ${displayId(customerId)}: response is not JSON (${bodySnippet(body).slice(0, 60)})`, { retryable: false, status });
    }
    return parseGetDocuments(json, customerId);
  }
}

/** The token each auth error rejected, kept off the error object so that it is never logged. */
const rejectedTokens = new WeakMap<CyrexaAuthError, string>();

class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

function describeNetworkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code) return code;
    current = current.cause;
  }
  return error instanceof Error ? error.name : 'error';
}

/** Reads a body as text, refusing more than maxBytes; aborts with the deadline. */
async function readBody(response: Response, maxBytes: number, deadline: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new BodyTooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const onAbort = () => void reader.cancel(deadline.reason).catch(() => undefined);
  deadline.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      if (deadline.aborted) throw deadline.reason as Error;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new BodyTooLarge();
      }
      chunks.push(value);
    }
  } finally {
    deadline.removeEventListener('abort', onAbort);
  }
  if (deadline.aborted) throw deadline.reason as Error;
  return Buffer.concat(chunks).toString('utf8');
}
