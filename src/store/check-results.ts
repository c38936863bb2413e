import type { SnapshotDocument } from '../domain/documents.js';
import type { DocumentChange } from '../domain/status-diff.js';
import type { Database } from './database.js';

// Writes what one successful check found — new snapshots, the events, and the alerts those
// events raise — in one transaction, so that no alert exists without its change and no change
// without its alert.

export interface CheckWrite {
  customerId: string;
  /** The snapshot version the diff was computed from; another writer in between is a conflict. */
  expectedVersion: number;
  isBaseline: boolean;
  scanId: string | null;
  next: readonly SnapshotDocument[];
  changes: readonly DocumentChange[];
  /** Indexes into `changes` of those that raise an alert. */
  alerting: readonly number[];
  at: Date;
}

export class SnapshotConflict extends Error {
  override name = 'SnapshotConflict';
  constructor(readonly customerId: string) {
    super(`snapshots of customer ${JSON.stringify(customerId)} changed during the check`);
  }
}

export class CheckResultStore {
  constructor(private readonly db: Database) {}

  /** Throws SnapshotConflict (and writes nothing) when another check got there first. */
  async save(write: CheckWrite): Promise<void> {
    const { conflicts } = await this.saveMany([write]);
    if (conflicts.length) throw new SnapshotConflict(write.customerId);
  }

  /**
   * Writes the results of several customers' checks in one transaction and five statements,
   * whatever their count: each statement takes its rows as arrays (`unnest`), so its text, and
   * its cost to build, stay the same from one row to thousands. A customer whose snapshots
   * changed since its diff was computed (another check got there first) is left out and named
   * in `conflicts`; the others are written. Any failure writes nothing at all.
   */
  async saveMany(writes: readonly CheckWrite[]): Promise<{ conflicts: string[] }> {
    if (writes.length === 0) return { conflicts: [] };
    for (const w of writes) {
      const outOfRange = w.alerting.find((index) => !Number.isInteger(index) || index < 0 || index >= w.changes.length);
      if (outOfRange !== undefined) throw new RangeError(`alerting index ${outOfRange} out of range for customer ${JSON.stringify(w.customerId)}`);
    }
    return this.db.prisma.$transaction(
      async (tx) => {
        const claimedRows = await tx.$queryRaw<Array<{ customer_id: string }>>`
          UPDATE tracked_customers AS t
          SET snapshot_version = t.snapshot_version + 1,
              last_checked_at = w.at,
              last_outcome = 'ok',
              last_error = NULL,
              consecutive_failures = 0,
              last_scan_id = w.scan_id,
              baseline_at = CASE WHEN w.baseline THEN w.at ELSE t.baseline_at END
          FROM unnest(
            ${writes.map((w) => w.customerId)}::text[],
            ${writes.map((w) => w.expectedVersion)}::int[],
            ${writes.map((w) => w.isBaseline)}::boolean[],
            ${writes.map((w) => w.scanId)}::uuid[],
            ${writes.map((w) => w.at.toISOString())}::timestamptz[]
          ) AS w(customer_id, version, baseline, scan_id, at)
          WHERE t.customer_id = w.customer_id AND t.snapshot_version = w.version
          RETURNING t.customer_id`;
        const claimed = new Set(claimedRows.map((r) => r.customer_id));
        const mine = writes.filter((w) => claimed.has(w.customerId));
        const conflicts = writes.filter((w) => !claimed.has(w.customerId)).map((w) => w.customerId);
        if (mine.length === 0) return { conflicts };

        await tx.$executeRaw`DELETE FROM document_snapshots WHERE customer_id = ANY(${mine.map((w) => w.customerId)}::text[])`;
        const snapshots = mine.flatMap((w) => w.next.map((d) => ({ w, d })));
        if (snapshots.length) {
          await tx.$executeRaw`
            INSERT INTO document_snapshots (customer_id, position, purpose, document_type, name, location_key, status, verification_response, updated_at)
            SELECT * FROM unnest(
              ${snapshots.map((r) => r.w.customerId)}::text[],
              ${snapshots.map((r) => r.d.position)}::int[],
              ${snapshots.map((r) => r.d.purpose)}::text[],
              ${snapshots.map((r) => r.d.documentType)}::text[],
              ${snapshots.map((r) => r.d.name)}::text[],
              ${snapshots.map((r) => r.d.locationKey)}::text[],
              ${snapshots.map((r) => r.d.status)}::text[],
              ${snapshots.map((r) => r.d.verificationResponse)}::text[],
              ${snapshots.map((r) => r.w.at.toISOString())}::timestamptz[]
            )`;
        }

        const changes = mine.flatMap((w) => w.changes.map((change, index) => ({ w, change, index })));
        if (changes.length === 0) return { conflicts };
        // Event ids drawn first, so that each alert names its event without relying on insert order.
        const ids = await tx.$queryRaw<Array<{ id: bigint }>>`
          SELECT nextval(pg_get_serial_sequence('document_events', 'id')) AS id FROM generate_series(1, ${changes.length}::int)`;
        const eventIds = ids.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        if (eventIds.length !== changes.length) throw new Error(`internal: ${eventIds.length} event ids drawn for ${changes.length} changes`);
        const eventId = (position: number) => String(eventIds[position]);
        await tx.$executeRaw`
          INSERT INTO document_events (id, customer_id, scan_id, kind, purpose, document_type, name, location_key, previous_status, new_status, verification_response, baseline, detected_at)
          SELECT * FROM unnest(
            ${changes.map((_, i) => eventId(i))}::bigint[],
            ${changes.map((r) => r.w.customerId)}::text[],
            ${changes.map((r) => r.w.scanId)}::uuid[],
            ${changes.map((r) => r.change.kind)}::text[],
            ${changes.map((r) => r.change.purpose)}::text[],
            ${changes.map((r) => r.change.documentType)}::text[],
            ${changes.map((r) => r.change.name)}::text[],
            ${changes.map((r) => r.change.locationKey)}::text[],
            ${changes.map((r) => r.change.previousStatus)}::text[],
            ${changes.map((r) => r.change.newStatus)}::text[],
            ${changes.map((r) => r.change.verificationResponse)}::text[],
            ${changes.map((r) => r.change.baseline)}::boolean[],
            ${changes.map((r) => r.w.at.toISOString())}::timestamptz[]
          )`;

        const alerts = changes.flatMap((r, position) => (r.w.alerting.includes(r.index) ? [{ ...r, eventId: eventId(position) }] : []));
        if (alerts.length) {
          await tx.$executeRaw`
            INSERT INTO alerts (kind, customer_id, event_id, scan_id, purpose, document_type, document_name, previous_status, new_status, verification_response, detected_at)
            SELECT 'document', * FROM unnest(
              ${alerts.map((a) => a.w.customerId)}::text[],
              ${alerts.map((a) => a.eventId)}::bigint[],
              ${alerts.map((a) => a.w.scanId)}::uuid[],
              ${alerts.map((a) => a.change.purpose)}::text[],
              ${alerts.map((a) => a.change.documentType)}::text[],
              ${alerts.map((a) => a.change.name)}::text[],
              ${alerts.map((a) => a.change.previousStatus)}::text[],
              ${alerts.map((a) => a.change.newStatus)}::text[],
              ${alerts.map((a) => a.change.verificationResponse)}::text[],
              ${alerts.map((a) => a.w.at.toISOString())}::timestamptz[]
            )`;
        }
        return { conflicts };
      },
      // A baseline batch writes thousands of rows; Prisma's default of 5 s is too tight on a busy host.
      { timeout: 60_000, maxWait: 30_000 },
    );
  }
}
