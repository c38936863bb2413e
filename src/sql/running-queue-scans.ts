import type { SqlClient } from './client.js';

// Running scans driven by the queue (not a `scan` command) that started before `before`: when
// Redis lost its data, their queued work is gone.

export async function runningQueueScans(client: SqlClient, before: Date): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM scans WHERE status = 'running' AND trigger <> 'manual' AND started_at < $1`,
    [before],
  );
  return rows.map((r) => r.id);
}
