import type { TimelineKind } from '../domain/cases.js';
import type { SqlClient } from './client.js';

// A case's timeline, oldest first.

export interface TimelineRow {
  id: string;
  at: Date;
  kind: TimelineKind;
  actor: string;
  alert_id: string | null;
  details: Record<string, unknown>;
}

export async function caseTimeline(client: SqlClient, caseId: bigint): Promise<TimelineRow[]> {
  const { rows } = await client.query<TimelineRow>(
    `SELECT e.id::text AS id, e.at, e.kind, e.actor, e.alert_id::text AS alert_id, e.details FROM case_events AS e WHERE e.case_id = $1::bigint ORDER BY e.id`,
    [String(caseId)],
  );
  return rows;
}
