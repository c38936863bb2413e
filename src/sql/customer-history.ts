import type { SqlClient } from './client.js';

// A customer's document events, newest first; `known` false when it was never tracked (events
// exist only for tracked customers: a foreign key).

export interface HistoryEntry {
  id: string;
  detectedAt: Date;
  kind: string;
  purpose: string;
  documentType: string;
  name: string;
  previousStatus: string | null;
  newStatus: string | null;
  verificationResponse: string | null;
  /** The document's expiry date then (`YYYY-MM-DD`), when its metadata gave one. */
  expiresOn: string | null;
  baseline: boolean;
  scanId: string | null;
}

export async function customerHistory(client: SqlClient, customerId: string, limit: number): Promise<{ known: boolean; events: HistoryEntry[] }> {
  const { rows } = await client.query<HistoryEntry | { id: null }>(
    `SELECT e.id::text AS id, e.detected_at AS "detectedAt", e.kind, e.purpose, e.document_type AS "documentType", e.name,
            e.previous_status AS "previousStatus", e.new_status AS "newStatus", e.verification_response AS "verificationResponse",
            e.expires_on::text AS "expiresOn", e.baseline, e.scan_id AS "scanId"
     FROM tracked_customers c
     LEFT JOIN LATERAL (SELECT * FROM document_events WHERE customer_id = c.customer_id ORDER BY id DESC LIMIT $2) e ON true
     WHERE c.customer_id = $1
     ORDER BY e.id DESC`,
    [customerId, limit],
  );
  return { known: rows.length > 0, events: rows.filter((r): r is HistoryEntry => r.id !== null) };
}
