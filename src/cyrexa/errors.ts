// Failures of a Cyrexa request. `retryable` says whether trying again later can help; `reason`
// is a stable name for what went wrong, the same for every customer it happens to (a scan
// tells "most checks failed for one reason" from it).

export type FailureReason =
  | 'unreachable'
  | 'timeout'
  | `http-${number}`
  | 'invalid-response'
  | 'too-large'
  | 'redirect'
  | 'tenant-mismatch'
  | 'credentials-rejected'
  /** The id cannot be asked for (it is checked before any request). */
  | 'invalid-customer-id';

export interface CyrexaErrorOptions {
  reason: FailureReason;
  retryable: boolean;
  status?: number;
  cause?: unknown;
}

export class CyrexaError extends Error {
  override name = 'CyrexaError';
  readonly reason: FailureReason;
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(message: string, options: CyrexaErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason;
    this.retryable = options.retryable;
    this.status = options.status;
  }
}

/** The API rejected our credentials (401/403 after one token refresh): no customer can be checked. */
export class CredentialsRejectedError extends CyrexaError {
  override name = 'CredentialsRejectedError';
  constructor(message: string, options: Omit<CyrexaErrorOptions, 'reason' | 'retryable'> = {}) {
    super(message, { ...options, reason: 'credentials-rejected', retryable: false });
  }
}

/** A 2xx answer whose body is not a getDocuments response (bad JSON, wrong shape, too large). */
export class CyrexaResponseError extends CyrexaError {
  override name = 'CyrexaResponseError';
  constructor(message: string, options: Omit<CyrexaErrorOptions, 'reason' | 'retryable'> & { reason?: 'invalid-response' | 'too-large' } = {}) {
    super(message, { ...options, reason: options.reason ?? 'invalid-response', retryable: false });
  }
}

/** A getDocuments answer for another tenant than CYREXA_TENANT_ID: a mix-up, never data to keep. */
export class TenantMismatchError extends CyrexaError {
  override name = 'TenantMismatchError';
  constructor(
    message: string,
    readonly expectedTenant: string,
    readonly receivedTenant: string,
  ) {
    super(message, { reason: 'tenant-mismatch', retryable: false });
  }
}

/** The token endpoint failed: retryable unless it rejected the client credentials. */
export class TokenError extends CyrexaError {
  override name = 'TokenError';
}

/**
 * Answers a later attempt may not get: timeouts, rate limits, and the server errors that mean
 * "not now" (501 and 505 mean "never"; 520–524 are a CDN's "the origin did not answer").
 * A short list: ky copies it several times per request.
 */
export const RETRYABLE_STATUSES: readonly number[] = [408, 425, 429, 500, 502, 503, 504, 507, 520, 521, 522, 523, 524];

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.includes(status);
}

/** One line of an opaque error body, short enough for a log line. Scrub secrets before, not after: a cut could split one. */
export function bodySnippet(body: string): string {
  // eslint-disable-next-line no-control-regex
  const line = body.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
