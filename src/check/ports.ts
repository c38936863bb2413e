import type { ApiDocument } from '../domain/documents.js';
import type { OpsAlertText } from '../domain/ops-alerts.js';
import type { SqlClient } from '../sql/client.js';

// What checking needs from the outside world, owned here and implemented by adapters
// (`src/cyrexa/` implements DocumentsSource).

export interface DocumentsSource {
  /**
   * The customer's documents. A failure carries a `reason` naming its kind in one word
   * (`unreachable`, `timeout`, `http-404`, `invalid-response`, `tenant-mismatch` …);
   * `credentials-rejected` means the API refused our credentials: no customer can be checked.
   */
  getDocuments(customerId: string, signal?: AbortSignal): Promise<ApiDocument[]>;
}

export function failureReason(error: unknown): string {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' && reason !== '' ? reason : 'error';
}

/** The failure reason that stops a scan: the API refused our credentials, no customer can be checked. */
export const CREDENTIALS_REJECTED = 'credentials-rejected';

export function isCredentialsRejected(error: unknown): error is Error {
  return error instanceof Error && failureReason(error) === CREDENTIALS_REJECTED;
}

/** Told the outcome of every check (metrics). */
export interface CheckObserver {
  observeCheck(outcome: 'unchanged' | 'changed' | 'failed' | 'skipped', count?: number): void;
  /** Metadata entries named as an expiry date whose value could not be read (SPEC §11). */
  observeUnreadableExpiry?(count: number): void;
  /** Documents carrying a value outside the documented enumerations, by field (SPEC §12). */
  observeUnknownValues?(field: string, count: number): void;
}

/** Queues an operations alert once per key (API drift: one per new field and value). */
export interface OnceAlerts {
  once(client: SqlClient, key: string, text: OpsAlertText): Promise<void>;
}
