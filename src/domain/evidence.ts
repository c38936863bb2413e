import { stringify } from 'csv-stringify/sync';
import { neutraliseCell } from './alert-email.js';
import { parseIsoInstant } from './dates.js';

// One record of the evidence export (SPEC §10) and its two formats: a JSON line, or a CSV row
// whose cells a spreadsheet will not run (neutralised as in the alert emails' CSV). Pure.

export interface EvidenceRecord {
  at: Date;
  /** A document event (`appeared`, `status_changed`, `removed`), a timeline entry (`opened`, `alert`, `email`, `reminder`, `escalation`, `acknowledged`, `note`, `silenced`, `unsilenced`, `resolved`), an `expiry_warning` or the `warning_email` that carried it, or `silence_added` / `silence_removed`. */
  kind: string;
  customerId: string;
  purpose: string | null;
  documentType: string | null;
  documentName: string | null;
  caseId: number | null;
  /** `system`, or the person. */
  actor: string;
  details: Record<string, unknown>;
}

export const EVIDENCE_FORMATS = ['jsonl', 'csv'] as const;
export type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

export const EVIDENCE_CSV_HEADER = ['at', 'kind', 'customer_id', 'purpose', 'document_type', 'document_name', 'case_id', 'actor', 'details'] as const;

export function evidenceJsonLine(r: EvidenceRecord): string {
  return `${JSON.stringify({ at: r.at.toISOString(), kind: r.kind, customerId: r.customerId, purpose: r.purpose, documentType: r.documentType, documentName: r.documentName, caseId: r.caseId, actor: r.actor, details: r.details })}\n`;
}

export function evidenceCsvHeader(): string {
  return stringify([[...EVIDENCE_CSV_HEADER]], { record_delimiter: '\r\n' });
}

export function evidenceCsvRows(records: readonly EvidenceRecord[]): string {
  return stringify(
    records.map((r) =>
      [r.at.toISOString(), r.kind, r.customerId, r.purpose ?? '', r.documentType ?? '', r.documentName ?? '', r.caseId === null ? '' : String(r.caseId), r.actor, JSON.stringify(r.details)].map(neutraliseCell),
    ),
    { record_delimiter: '\r\n', quoted_match: /[\r\n]/ },
  );
}

/**
 * `--from` / `--to` as the export reads them: a date (`2026-11-01`) is that whole UTC day — from
 * its start, to the end of it — and a date-time is taken as it is (from inclusive, to exclusive).
 */
export function periodBound(text: string, side: 'from' | 'to'): Date | null {
  const parsed = parseIsoInstant(text);
  if (parsed === null) return null;
  return parsed.dateOnly && side === 'to' ? new Date(parsed.at.getTime() + 86_400_000) : parsed.at;
}
