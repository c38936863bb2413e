import type { ScanSummary } from '../domain/scan.js';
import type { Database } from './database.js';
import { toSummary, type ScanRow } from '../sql/scan-row.js';

// Scans, read side: what `status`, the metrics and the worker's watches show.

export class ScanStore {
  constructor(private readonly db: Database) {}

  async recent(limit: number): Promise<ScanSummary[]> {
    return this.query('SELECT * FROM scans ORDER BY started_at DESC LIMIT $1', [limit]);
  }

  async lastCompleted(): Promise<ScanSummary | null> {
    return (await this.query(`SELECT * FROM scans WHERE status = 'completed' ORDER BY started_at DESC LIMIT 1`, []))[0] ?? null;
  }

  /**
   * The scan that started last, and whether one is running now. A running scan whose lease ran
   * out is not running: its processes died, and the next scan to start abandons it (a tick
   * skipped for it must not wait for the following tick to be made up).
   */
  async latest(): Promise<{ lastStartedAt: Date | null; running: boolean }> {
    const { rows } = await this.db.withClient((c) =>
      c.query<{ last_started_at: Date | null; running: boolean }>(
        `SELECT (SELECT max(started_at) FROM scans) AS last_started_at,
                EXISTS (SELECT 1 FROM scans WHERE status = 'running' AND lease_until >= now()) AS running`,
      ),
    );
    return { lastStartedAt: rows[0]?.last_started_at ?? null, running: rows[0]?.running ?? false };
  }

  private async query(text: string, values: unknown[]): Promise<ScanSummary[]> {
    const { rows } = await this.db.withClient((c) => c.query<ScanRow>(text, values));
    return rows.map(toSummary);
  }
}
