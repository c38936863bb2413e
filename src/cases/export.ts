import type { EvidenceRecord } from '../domain/evidence.js';
import { declareEvidenceCursor, fetchEvidence, type EvidenceFilter } from '../sql/export-evidence.js';
import type { Database } from '../store/database.js';

export type { EvidenceFilter } from '../sql/export-evidence.js';

// Reads the evidence a page at a time from one consistent snapshot (a read-only,
// repeatable-read transaction holding a cursor), handing each page to `write` before the next
// is fetched: memory stays that of one page, however many records there are.

const PAGE = 2_000;

export async function exportEvidence(db: Database, filter: EvidenceFilter, write: (records: EvidenceRecord[]) => Promise<void>, signal?: AbortSignal): Promise<number> {
  return db.withTransaction(async (c) => {
    await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await declareEvidenceCursor(c, 'evidence', filter);
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      const rows = await fetchEvidence(c, 'evidence', PAGE);
      if (rows.length === 0) break;
      total += rows.length;
      await write(
        rows.map((r) => ({
          at: r.at,
          kind: r.kind,
          customerId: r.customer_id,
          purpose: r.purpose,
          documentType: r.document_type,
          documentName: r.document_name,
          caseId: r.case_id === null ? null : Number(r.case_id),
          actor: r.actor,
          details: r.details,
        })),
      );
      if (rows.length < PAGE) break;
    }
    return total;
  });
}
