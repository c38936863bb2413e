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
   * Writes the results of several customers' checks (of one scan) in one transaction and a fixed number of
   * statements, whatever their count. A customer whose snapshots changed since its diff was
   * computed (another check got there first) is left out and named in `conflicts`; the others
   * are written. Any failure writes nothing at all.
   */
  async saveMany(writes: readonly CheckWrite[]): Promise<{ conflicts: string[] }> {
    if (writes.length === 0) return { conflicts: [] };
    return this.db.$transaction(async (tx) => {
      const claimed = new Set<string>();
      for (const baseline of [true, false]) {
        const group = writes.filter((w) => w.isBaseline === baseline);
        if (group.length === 0) continue;
        // One `at` per statement: the checks of one batch finish within moments of each other.
        const at = new Date(Math.max(...group.map((w) => w.at.getTime())));
        const rows = await tx.trackedCustomer.updateManyAndReturn({
          where: { OR: group.map((w) => ({ customerId: w.customerId, snapshotVersion: w.expectedVersion })) },
          data: {
            snapshotVersion: { increment: 1 },
            lastCheckedAt: at,
            lastOutcome: 'ok',
            lastError: null,
            consecutiveFailures: 0,
            lastScanId: group[0]?.scanId ?? null,
            ...(baseline ? { baselineAt: at } : {}),
          },
          select: { customerId: true },
        });
        for (const row of rows) claimed.add(row.customerId);
      }
      const mine = writes.filter((w) => claimed.has(w.customerId));
      const conflicts = writes.filter((w) => !claimed.has(w.customerId)).map((w) => w.customerId);
      if (mine.length === 0) return { conflicts };
      await tx.documentSnapshot.deleteMany({ where: { customerId: { in: mine.map((w) => w.customerId) } } });
      const snapshots = mine.flatMap((w) => w.next.map((d) => ({ ...d, customerId: w.customerId, updatedAt: w.at })));
      if (snapshots.length) await tx.documentSnapshot.createMany({ data: snapshots });
      const changes = mine.flatMap((w) => w.changes.map((c, index) => ({ write: w, change: c, index })));
      if (changes.length === 0) return { conflicts };
      const events = await tx.documentEvent.createManyAndReturn({
        data: changes.map(({ write, change: c }) => ({
          customerId: write.customerId,
          scanId: write.scanId,
          kind: c.kind,
          purpose: c.purpose,
          documentType: c.documentType,
          name: c.name,
          locationKey: c.locationKey,
          previousStatus: c.previousStatus,
          newStatus: c.newStatus,
          verificationResponse: c.verificationResponse,
          baseline: c.baseline,
          detectedAt: write.at,
        })),
        select: { id: true },
      });
      // Ids are drawn from the sequence in the order of the rows inserted.
      const eventIds = events.map((e) => e.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const alerts = changes.flatMap(({ write, change: c, index }, position) => {
        if (!write.alerting.includes(index)) return [];
        const eventId = eventIds[position];
        if (eventId === undefined) throw new RangeError(`no event recorded for change ${position}`);
        return [
          {
            kind: 'document',
            customerId: write.customerId,
            eventId,
            scanId: write.scanId,
            purpose: c.purpose,
            documentType: c.documentType,
            documentName: c.name,
            previousStatus: c.previousStatus,
            newStatus: c.newStatus,
            verificationResponse: c.verificationResponse,
            detectedAt: write.at,
          },
        ];
      });
      for (const w of mine) {
        const outOfRange = w.alerting.find((index) => index < 0 || index >= w.changes.length);
        if (outOfRange !== undefined) throw new RangeError(`alerting index ${outOfRange} out of range`);
      }
      if (alerts.length) await tx.alert.createMany({ data: alerts });
      return { conflicts };
    });
  }
}
