import type { Secrets } from '../secrets.js';
import type { AttemptOptions } from './attempts.js';
import type { RateLimiter } from './rate-limit.js';
import type { TokenProvider } from './token-provider.js';

/** How a client reaches the Cyrexa API: what the documents client and the details client share. */
export interface CyrexaEndpoint {
  baseUrl: string;
  tenantId: string;
  tokens: TokenProvider;
  /** Fixed `token` header; undefined sends the current access token. */
  tokenHeader: string | undefined;
  /** Per attempt, the body included. */
  timeoutMs: number;
  /** The shared request rate limit: every attempt takes a slot. */
  rateLimiter?: RateLimiter;
  /** Secrets to take out of every text the API sends back (shared with the logger). */
  secrets?: Secrets;
  fetch?: typeof globalThis.fetch;
  /** Called once per HTTP attempt (metrics, benchmark). */
  onAttempt?: AttemptOptions['onAttempt'];
}
