import { KNOWN_STATUSES, statusKey, type ApiDocument } from './documents.js';

// API drift (SPEC §12): values of `status`, `purpose` and `documentType` outside the enumerations
// Cyrexa documents (cyrexa-api.md). Statuses are compared as everywhere (trimmed, any case); the
// purpose and the type as sent, trimmed. Pure.

export const DOCUMENTED_PURPOSES = ['KYB', 'KYC', 'PEP&SANCTION'] as const;
export const DOCUMENTED_DOCUMENT_TYPES = ['ID front side', 'ID back side', 'Passport', 'accountAuthority', 'shareholderStructure', 'operationAddress', 'registeredAddress', 'selfie', 'livelinessDetection'] as const;

export type DriftField = 'status' | 'purpose' | 'documentType';

/** Longest value kept (and told apart) of an undocumented one. */
export const MAX_DRIFT_VALUE_LENGTH = 200;

export interface UndocumentedValue {
  field: DriftField;
  value: string;
}

/** One undocumented value as a key (a field and a value told apart whatever they hold). */
export function driftKey(v: { field: string; value: string }): string {
  return `${v.field}\u0000${v.value}`;
}

const purposes = new Set<string>(DOCUMENTED_PURPOSES);
const types = new Set<string>(DOCUMENTED_DOCUMENT_TYPES);

/** The distinct undocumented values among `documents`, and how many documents carried one (by field). */
export function undocumentedValues(documents: readonly Pick<ApiDocument, 'status' | 'purpose' | 'documentType'>[]): { values: UndocumentedValue[]; occurrences: Record<DriftField, number> } {
  const seen = new Map<string, UndocumentedValue>();
  const occurrences: Record<DriftField, number> = { status: 0, purpose: 0, documentType: 0 };
  const note = (field: DriftField, raw: string) => {
    occurrences[field]++;
    const v = { field, value: raw.trim().slice(0, MAX_DRIFT_VALUE_LENGTH) };
    seen.set(driftKey(v), v);
  };
  for (const d of documents) {
    if (!(KNOWN_STATUSES as readonly string[]).includes(statusKey(d.status))) note('status', d.status);
    if (!purposes.has(d.purpose.trim())) note('purpose', d.purpose);
    if (!types.has(d.documentType.trim())) note('documentType', d.documentType);
  }
  return { values: [...seen.values()], occurrences };
}
