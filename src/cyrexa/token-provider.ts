import ky from 'ky';
import { z } from 'zod';
import type { CyrexaAuth } from '../config.js';
import { bodySnippet, isRetryableStatus, TokenError } from './errors.js';

// Where the bearer token comes from: a static value, or an OAuth 2.0 client-credentials grant
// cached until shortly before it expires and fetched again when the API rejects it.

export interface TokenProvider {
  /** The access token to send now. */
  getToken(): Promise<string>;
  /** The API rejected `token`: the next getToken fetches a new one. False when no other token can be had. */
  invalidate(token: string): boolean;
}

export class StaticTokenProvider implements TokenProvider {
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
  now?: () => number;
  fetch?: typeof globalThis.fetch;
}

export class ClientCredentialsTokenProvider implements TokenProvider {
  private cached: { token: string; refreshAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ClientCredentialsOptions) {
    this.now = options.now ?? Date.now;
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
    let response: Response;
    try {
      response = await ky.post(tokenUrl, {
        body: form,
        timeout: timeoutMs,
        retry: 0,
        throwHttpErrors: false,
        redirect: 'manual',
        headers: { accept: 'application/json' },
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
    } catch (error) {
      throw new TokenError(`token request failed: ${(error as Error).name}`, { retryable: true, cause: error });
    }
    const body = await response.text();
    if (!response.ok) {
      const rejected = response.status === 400 || response.status === 401 || response.status === 403;
      throw new TokenError(`token endpoint answered ${response.status}: ${bodySnippet(body)}`, {
        retryable: !rejected && isRetryableStatus(response.status),
        status: response.status,
      });
    }
    let parsed: z.infer<typeof TokenResponse>;
    try {
      parsed = TokenResponse.parse(JSON.parse(body));
    } catch {
      throw new TokenError('token endpoint answered without a usable access_token', { retryable: false, status: response.status });
    }
    const lifetimeMs = (parsed.expires_in ?? 300) * 1000;
    // Refresh a minute early, or at 90 % of a short lifetime.
    const margin = Math.min(60_000, lifetimeMs * 0.1);
    this.cached = { token: parsed.access_token, refreshAt: this.now() + lifetimeMs - margin };
    return parsed.access_token;
  }
}

export function createTokenProvider(auth: CyrexaAuth, timeoutMs: number): TokenProvider {
  return auth.kind === 'static'
    ? new StaticTokenProvider(auth.accessToken)
    : new ClientCredentialsTokenProvider({ ...auth, timeoutMs });
}
