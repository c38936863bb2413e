import type { CaseState, Resolution } from '../domain/cases.js';

// A case as the statements of src/sql/ return it (`cases.*`, ids as text).

export interface CaseRow {
  id: string;
  customer_id: string;
  purpose: string;
  document_type: string;
  document_name: string;
  document_status: string;
  /** `YYYY-MM-DD`: the document's expiry date at the case's latest alert. */
  expires_on: string | null;
  state: CaseState;
  opened_at: Date;
  last_alert_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: Resolution | null;
}

export const CASE_COLUMNS = `c.id::text AS id, c.customer_id, c.purpose, c.document_type, c.document_name, c.document_status, c.expires_on::text AS expires_on, c.state,
  c.opened_at, c.last_alert_at, c.acknowledged_at, c.acknowledged_by, c.resolved_at, c.resolved_by, c.resolution`;
