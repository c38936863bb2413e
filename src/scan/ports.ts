import type { OpsAlertText } from '../domain/ops-alerts.js';
import type { SqlClient } from '../sql/client.js';

// What the scan lifecycle needs from the outbox: operations alerts written in the caller's
// transaction, so that a scan never ends without the alert its end calls for.

export interface OpsAlerts {
  /** Opens an incident of `kind` and queues its alert, unless one of that kind is open. */
  raise(client: SqlClient, kind: string, text: OpsAlertText): Promise<void>;
  /** Ends the open incident of `kind`, if any: the next `raise` alerts again. */
  end(client: SqlClient, kind: string): Promise<void>;
  /** Queues an alert once per `key`, whatever happens after. */
  once(client: SqlClient, key: string, text: OpsAlertText): Promise<void>;
}
