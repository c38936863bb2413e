import type { SqlClient } from './client.js';
import { columns } from './columns.js';

// Resolves, after a successful check, the unresolved cases of the checked customers whose
// document no longer needs attention (SPEC §10): `recovered` when a document of the case's
// identity is still there but none is in an alert status, `removed` when none is there any more.
// Each resolution is written to the case's timeline in the same statement.

/** A document of a checked customer as the check left it. */
export interface LiveDocumentRow {
  customerId: string;
  purpose: string;
  documentType: string;
  name: string;
  /** As the API sent it. */
  status: string;
  /** Its status is in ALERT_STATUSES. */
  alerting: boolean;
}

const TEXT = `
WITH live AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[])
         AS l(customer_id, purpose, document_type, name, status, alerting)
), resolved AS (
  UPDATE cases AS c
  SET state = 'resolved', resolved_at = $2, resolved_by = 'system',
      resolution = CASE WHEN EXISTS (
        SELECT 1 FROM live AS l
        WHERE l.customer_id = c.customer_id AND l.purpose = c.purpose AND l.document_type = c.document_type AND l.name = c.document_name
      ) THEN 'recovered' ELSE 'removed' END
  WHERE c.customer_id = ANY($1::text[]) AND c.state <> 'resolved'
    AND NOT EXISTS (
      SELECT 1 FROM live AS l
      WHERE l.alerting AND l.customer_id = c.customer_id AND l.purpose = c.purpose AND l.document_type = c.document_type AND l.name = c.document_name
    )
  RETURNING c.id, c.customer_id, c.purpose, c.document_type, c.document_name, c.resolution
)
INSERT INTO case_events (case_id, at, kind, actor, details)
SELECT r.id, $2, 'resolved', 'system',
       jsonb_build_object('resolution', r.resolution, 'documentStatus', (
         SELECT l.status FROM live AS l
         WHERE l.customer_id = r.customer_id AND l.purpose = r.purpose AND l.document_type = r.document_type AND l.name = r.document_name
         LIMIT 1))
FROM resolved AS r ORDER BY r.id`;

/** Returns how many cases it resolved. */
export async function resolveCheckedCases(client: SqlClient, customerIds: readonly string[], at: Date, live: readonly LiveDocumentRow[]): Promise<number> {
  if (customerIds.length === 0) return 0;
  const { rowCount } = await client.query(TEXT, [customerIds, at, ...columns(live, ['customerId', 'purpose', 'documentType', 'name', 'status', 'alerting'])]);
  return rowCount;
}
