import type { SnapshotDocument } from '../domain/documents.js';
import type { SqlClient } from './client.js';
import { columns } from './columns.js';
import { activeSilenceFor } from './silence-match.js';

// Expiry warnings (SPEC §11) into the outbox: one alert of kind `expiring` per document due, with
// its status, expiry date, threshold (days, in `subject`) and the days left as the check counted
// them (in `body`: the email says so, whenever it goes out); no case. A silence matching the
// document holds it like any alert.

export interface ExpiryWarningRow extends SnapshotDocument {
  customerId: string;
  daysLeft: number;
}

export async function insertExpiryWarnings(client: SqlClient, scanId: string | null, at: Date, rows: readonly ExpiryWarningRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO alerts (kind, customer_id, scan_id, purpose, document_type, document_name, previous_status, new_status, verification_response, expires_on, subject, body, detected_at, silence_id)
     SELECT 'expiring', w.customer_id, $1::uuid, w.purpose, w.document_type, w.name, w.status, 'expiring', w.verification_response, w.expires_on, w.warned_days::text, w.days_left::text, $2,
            (${activeSilenceFor('w', 'name', '$2::timestamptz')} ORDER BY s.ends_at DESC, s.id LIMIT 1)
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::date[], $10::int[], $11::int[])
          WITH ORDINALITY AS w(customer_id, purpose, document_type, name, status, verification_response, expires_on, warned_days, days_left, ord)
     ORDER BY w.ord`,
    [scanId, at, ...columns(rows, ['customerId', 'purpose', 'documentType', 'name', 'status', 'verificationResponse', 'expiresOn']), rows.map((r) => r.warnedDays ?? null), rows.map((r) => r.daysLeft)],
  );
}
