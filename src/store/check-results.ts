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
    await this.db.$transaction(async (tx) => {
      const claimed = await tx.trackedCustomer.updateMany({
        where: { customerId: write.customerId, snapshotVersion: write.expectedVersion },
        data: {
          snapshotVersion: { increment: 1 },
          lastCheckedAt: write.at,
          lastOutcome: 'ok',
          lastError: null,
          consecutiveFailures: 0,
          lastScanId: write.scanId,
          ...(write.isBaseline ? { baselineAt: write.at } : {}),
        },
      });
      if (claimed.count !== 1) throw new SnapshotConflict(write.customerId);
      await tx.documentSnapshot.deleteMany({ where: { customerId: write.customerId } });
      if (write.next.length) {
        await tx.documentSnapshot.createMany({
          data: write.next.map((d) => ({ ...d, customerId: write.customerId, updatedAt: write.at })),
        });
      }
      if (write.changes.length === 0) return;
      const events = await tx.documentEvent.createManyAndReturn({
        data: write.changes.map((c) => ({
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
      if (write.alerting.length === 0) return;
      await tx.alert.createMany({
        data: write.alerting.map((index) => {
          const c = write.changes[index];
          const event = events[index];
          if (!c || !event) throw new RangeError(`alerting index ${index} out of range`);
          return {
            kind: 'document',
            customerId: write.customerId,
            eventId: event.id,
            scanId: write.scanId,
            purpose: c.purpose,
            documentType: c.documentType,
            documentName: c.name,
            previousStatus: c.previousStatus,
            newStatus: c.newStatus,
            verificationResponse: c.verificationResponse,
            detectedAt: write.at,
          };
        }),
      });
    });
  }
}
