import type { SqlClient } from './client.js';

// Opens an incident of a kind and queues its operations alert, in one statement, unless an
// incident of that kind is open: the unique partial index on open incidents decides, so two
// processes raising the same incident at once queue one alert. The alert's id is drawn first so
// that the incident can name it.

export interface OpenIncidentParams {
  kind: string;
  subject: string;
  body: string;
}

export interface OpenedIncidentRow {
  alert_id: string;
}

const TEXT = `
WITH alert AS (SELECT nextval(pg_get_serial_sequence('alerts', 'id')) AS id),
incident AS (
  INSERT INTO ops_incidents (kind, alert_id)
  SELECT $1::text, alert.id FROM alert
  ON CONFLICT (kind) WHERE ended_at IS NULL DO NOTHING
  RETURNING alert_id
)
INSERT INTO alerts (id, kind, subject, body)
SELECT incident.alert_id, 'ops', $2::text, $3::text FROM incident
RETURNING id AS alert_id`;

/** The new operations alert, or null when an incident of this kind is already open. */
export async function openIncident(client: SqlClient, p: OpenIncidentParams): Promise<OpenedIncidentRow | null> {
  const { rows } = await client.query<OpenedIncidentRow>(TEXT, [p.kind, p.subject, p.body]);
  return rows[0] ?? null;
}
