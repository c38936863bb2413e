import type { SqlClient } from './client.js';

// An operations alert into the outbox, once per `dedupeKey`: false when that key exists.

export async function queueOpsAlert(client: SqlClient, dedupeKey: string, subject: string, body: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO alerts (kind, dedupe_key, subject, body) VALUES ('ops', $1, $2, $3) ON CONFLICT (dedupe_key) DO NOTHING`,
    [dedupeKey, subject, body],
  );
  return rowCount === 1;
}
