import ky, { HTTPError, NetworkError, TimeoutError } from 'ky';
import { z } from 'zod';
import type { CyrexaAuth } from '../config.js';
import { Secrets } from '../secrets.js';
import { Attempts, BodyTooLarge, networkErrorCode, RedirectRefused } from './attempts.js';
import { bodySnippet, isRetryableStatus, RETRYABLE_STATUSES, TokenError } from './errors.js';

// Where the bearer token comes from: a static value, or an OAuth 2.0 client-credentials grant
// cached until shortly before it expires and fetched again when the API rejects it. Every token
// issued is remembered as a secret at once: an API that echoes it back must not make it public.

export interface TokenProvider {
  /** The access token to send now. */
  getToken(): Promise<string>;
  /** The API rejected `token`: the next getToken fetches a new one. False when no other token can be had. */
  invalidate(token: string): boolean;
  /** Whether invalidate can ever give another token. */
  readonly refreshable: boolean;
}

export class StaticTokenProvider implements TokenProvider {
  readonly refreshable = false;
  constructor(private readonly token: string) {}
  getToken(): Promise<string> {
    return Promise.resolve(this.token);
  }
  invalidate(): boolean {
    return false;
  }
}

const TokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

export interface ClientCredentialsOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string | undefined;
  timeoutMs: number;
  /** Issued tokens are added to these (shared with the logger); text the endpoint sends is scrubbed with them. */
  secrets?: Secrets;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs?: number;
  now?: () => number;
  fetch?: typeof globalThis.fetch;
}

/** Attempts per token request, the first included: the endpoint's transient failures are retried by ky. */
const TOKEN_ATTEMPTS = 3;
const MAX_TOKEN_BODY_BYTES = 64 * 1024;

export class ClientCredentialsTokenProvider implements TokenProvider {
  readonly refreshable = true;
  private cached: { token: string; refreshAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private readonly now: () => number;
  private readonly secrets: Secrets;

  constructor(private readonly options: ClientCredentialsOptions) {
    this.now = options.now ?? Date.now;
    this.secrets = options.secrets ?? new Secrets();
  }

  getToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  invalidate(token: string): boolean {
    if (this.cached?.token === token) this.cached = undefined;
    return true;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope, timeoutMs } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    if (scope) form.set('scope', scope);
    const attempts = new Attempts({ maxBodyBytes: MAX_TOKEN_BODY_BYTES, maxErrorBodyBytes: MAX_TOKEN_BODY_BYTES, ...(this.options.fetch ? { fetch: this.options.fetch } : {}) });
    try {
      await ky.post(tokenUrl, {
        body: form,
        timeout: timeoutMs,
        // Asking again for a token is harmless: POST is retried here like GET elsewhere.
        retry: {
          limit: TOKEN_ATTEMPTS - 1,
          methods: ['post'],
          statusCodes: [...RETRYABLE_STATUSES],
          afterStatusCodes: [429, 503],
          maxRetryAfter: this.options.maxRetryAfterMs ?? 60_000,
          backoffLimit: 5_000,
          jitter: (delay) => delay / 2 + (Math.random() * delay) / 2,
          retryOnTimeout: true,
        },
        redirect: 'manual',
        headers: { accept: 'application/json' },
        fetch: attempts.fetch,
      });
    } catch (error) {
      throw this.failure(error, attempts.body);
    }
    let parsed: z.infer<typeof TokenResponse>;
    try {
      parsed = TokenResponse.parse(JSON.parse(attempts.body));
    } catch {
      throw new TokenError('token endpoint answered without a usable access_token', { reason: 'invalid-response', retryable: false, status: 200 });
    }
    this.secrets.remember(parsed.access_token);
    const lifetimeMs = (parsed.expires_in ?? 300) * 1000;
    // Refresh a minute early, or at 90 % of a short lifetime.
    const margin = Math.min(60_000, lifetimeMs * 0.1);
    this.cached = { token: parsed.access_token, refreshAt: this.now() + lifetimeMs - margin };
    return parsed.access_token;
  }

  private failure(error: unknown, body: string): unknown {
    if (error instanceof HTTPError) {
      const status = error.response.status;
      const rejected = status === 400 || status === 401 || status === 403;
      return new TokenError(`token endpoint answered ${status}: ${bodySnippet(this.secrets.scrub(body))}`, {
        reason: rejected ? 'credentials-rejected' : `http-${status}`,
        retryable: !rejected && isRetryableStatus(status),
        status,
      });
    }
    if (error instanceof TimeoutError) return new TokenError(`token request timed out after ${this.options.timeoutMs} ms`, { reason: 'timeout', retryable: true });
    if (error instanceof NetworkError) {
      return new TokenError(`token request failed (${this.secrets.scrub(networkErrorCode(error.cause))})`, { reason: 'unreachable', retryable: true, cause: error.cause });
    }
    if (error instanceof RedirectRefused) {
      return new TokenError(`token endpoint answered a redirect (${error.status}), which is not followed`, { reason: 'redirect', retryable: false, status: error.status });
    }
    if (error instanceof BodyTooLarge) return new TokenError(`token endpoint answered more than ${error.maxBytes} bytes`, { reason: 'too-large', retryable: false, status: 200 });
    return error;
  }
}

export interface TokenProviderOptions {
  timeoutMs: number;
  secrets?: Secrets;
  maxRetryAfterMs?: number;
}

export function createTokenProvider(auth: CyrexaAuth, options: TokenProviderOptions): TokenProvider {
  return auth.kind === 'static'
    ? new StaticTokenProvider(auth.accessToken)
    : new ClientCredentialsTokenProvider({ ...auth, ...options });
}
