import type { SnapshotDocument } from '../domain/documents.js';
import type { SqlClient } from './client.js';
import { columns } from './columns.js';

// Replaces the stored documents of the given customers with `rows` (live ones and removed
// ones), in one statement: the delete and the insert see the same snapshot of the table.

export interface SnapshotRow extends SnapshotDocument {
  customerId: string;
  /** Set for a removed document (kept so that its reappearance in the same status does not alert again). */
  removed: boolean;
}

export async function replaceSnapshots(client: SqlClient, customerIds: readonly string[], at: Date, rows: readonly SnapshotRow[]): Promise<void> {
  if (customerIds.length === 0) return;
  await client.query(
    `WITH gone AS (DELETE FROM document_snapshots WHERE customer_id = ANY($1::text[]))
     INSERT INTO document_snapshots (customer_id, position, purpose, document_type, name, location_key, status, verification_response, expires_on, warned_days, updated_at, removed_at)
     SELECT u.customer_id, u.position, u.purpose, u.document_type, u.name, u.location_key, u.status, u.verification_response, u.expires_on, u.warned_days, $2,
            CASE WHEN u.removed THEN $2::timestamptz END
     FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::date[], $13::smallint[])
          AS u(customer_id, position, purpose, document_type, name, location_key, status, verification_response, removed, expires_on, warned_days)`,
    [
      customerIds,
      at,
      ...columns(rows, ['customerId', 'position', 'purpose', 'documentType', 'name', 'locationKey', 'status', 'verificationResponse', 'removed', 'expiresOn']),
      rows.map((r) => r.warnedDays ?? null),
    ],
  );
}
