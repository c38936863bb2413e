import type { SqlClient } from '../sql/client.js';
import { endIncidents as endIncidentsStatement } from '../sql/end-incidents.js';
import { openIncident } from '../sql/open-incident.js';

// One operations alert per incident (SPEC §5): an incident of a kind is open from the first time
// it is raised until it is ended; raising it again meanwhile queues nothing. The database decides
// (a unique partial index on open incidents), so replicas raising it at once queue one alert.

export interface Incident {
  /** What happened, as a key: `smtp-credentials-rejected`, `recipient-refused:<address>` … */
  kind: string;
  /** The operations alert's subject and body. */
  subject: string;
  body: string;
}

/**
 * Opens an incident of `kind` and queues its operations alert (one statement: both or neither),
 * unless one of that kind is open. Returns whether it did.
 */
export async function raiseIncident(client: SqlClient, incident: Incident): Promise<boolean> {
  return (await openIncident(client, incident)) !== null;
}

/** Ends the open incident of `kind`, if any. */
export async function endIncident(client: SqlClient, kind: string): Promise<void> {
  await endIncidentsStatement(client, { kinds: [kind] });
}

/** Ends the open incidents of these kinds, in one statement; returns those that were open. */
export async function endIncidents(client: SqlClient, kinds: readonly string[]): Promise<string[]> {
  return endIncidentsStatement(client, { kinds });
}
