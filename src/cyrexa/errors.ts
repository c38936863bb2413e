// Failures of a Cyrexa request. `retryable` says whether trying again later can help.

export class CyrexaError extends Error {
  override name = 'CyrexaError';
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** Server-requested wait before the next attempt (Retry-After), already capped. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The API rejected our credentials (401/403 after one token refresh): no customer can be checked. */
export class CyrexaAuthError extends CyrexaError {
  override name = 'CyrexaAuthError';
}

/** A 2xx answer whose body is not a getDocuments response (bad JSON, wrong shape, too large). */
export class CyrexaResponseError extends CyrexaError {
  override name = 'CyrexaResponseError';
}

/** The token endpoint failed: retryable unless it rejected the client credentials. */
export class TokenError extends CyrexaError {
  override name = 'TokenError';
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** One line of an opaque error body, short enough for a log line. */
export function bodySnippet(body: string): string {
  // eslint-disable-next-line no-control-regex
  const line = body.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
