import type { Database } from './database.js';

// Scan runs: created once per trigger, paged through with a persisted cursor, finished once.

export type ScanTrigger = 'schedule' | 'catch-up' | 'manual';
export type ScanStatus = 'running' | 'completed' | 'failed' | 'abandoned';

export interface ScanSummary {
  scanId: string;
  trigger: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  customers: number;
  checked: number;
  failed: number;
  changes: number;
  alerts: number;
  error: string | null;
}

export interface ScanRow {
  id: string;
  trigger: string;
  status: string;
  cursor: string | null;
  enumerated: boolean;
  batchesTotal: number;
  batchesDone: number;
  customers: number;
  heartbeatAt: Date;
  startedAt: Date;
}

const toSummary = (s: {
  id: string;
  trigger: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  customers: number;
  checked: number;
  failed: number;
  changes: number;
  alerts: number;
  error: string | null;
}): ScanSummary => ({
  scanId: s.id,
  trigger: s.trigger,
  status: s.status,
  startedAt: s.startedAt,
  finishedAt: s.finishedAt,
  customers: s.customers,
  checked: s.checked,
  failed: s.failed,
  changes: s.changes,
  alerts: s.alerts,
  error: s.error,
});

export class ScanStore {
  constructor(private readonly db: Database) {}

  /**
   * Creates the scan for a trigger, or returns the one that trigger already created (a
   * redelivered tick resumes its scan instead of starting another).
   */
  async create(id: string, trigger: ScanTrigger, triggerKey: string | null): Promise<{ scan: ScanRow; created: boolean }> {
    if (triggerKey !== null) {
      const existing = await this.db.prisma.scan.findUnique({ where: { triggerKey } });
      if (existing) return { scan: existing, created: false };
    }
    try {
      const scan = await this.db.prisma.scan.create({ data: { id, trigger, triggerKey } });
      return { scan, created: true };
    } catch (error) {
      // P2002: the same trigger raced us from another replica.
      if ((error as { code?: string }).code === 'P2002' && triggerKey !== null) {
        const existing = await this.db.prisma.scan.findUniqueOrThrow({ where: { triggerKey } });
        return { scan: existing, created: false };
      }
      throw error;
    }
  }

  async findByTriggerKey(triggerKey: string): Promise<ScanRow | null> {
    return this.db.prisma.scan.findUnique({ where: { triggerKey } });
  }

  async get(id: string): Promise<ScanRow | null> {
    return this.db.prisma.scan.findUnique({ where: { id } });
  }

  /** A running scan other than `exceptId` whose heartbeat is fresher than `staleMs`. */
  async findLiveScan(exceptId: string | null, staleMs: number): Promise<ScanRow | null> {
    return this.db.prisma.scan.findFirst({
      where: { status: 'running', heartbeatAt: { gt: new Date(Date.now() - staleMs) }, ...(exceptId ? { id: { not: exceptId } } : {}) },
      orderBy: { startedAt: 'desc' },
    });
  }

  /** Marks running scans with a stale heartbeat abandoned; returns them. */
  async abandonStale(staleMs: number): Promise<ScanRow[]> {
    const stale = await this.db.prisma.scan.findMany({ where: { status: 'running', heartbeatAt: { lte: new Date(Date.now() - staleMs) } } });
    for (const scan of stale) {
      await this.finish(scan.id, 'abandoned', 'no progress for too long (its workers stopped or its queue was lost)');
    }
    return stale;
  }

  /** Running scans driven by the queue (not `scan` in a process) that started before `before`. */
  async runningQueuedBefore(before: Date): Promise<ScanRow[]> {
    return this.db.prisma.scan.findMany({ where: { status: 'running', trigger: { not: 'manual' }, startedAt: { lt: before } } });
  }

  async heartbeat(id: string): Promise<void> {
    await this.db.prisma.scan.updateMany({ where: { id, status: 'running' }, data: { heartbeatAt: new Date() } });
  }

  async saveProgress(id: string, cursor: string | null, batchesTotal: number, customers: number, enumerated: boolean): Promise<void> {
    await this.db.prisma.scan.update({ where: { id }, data: { cursor, batchesTotal, customers, enumerated, heartbeatAt: new Date() } });
  }

  /** Counts a finished batch once, however often its job ran. Returns whether the scan is now complete. */
  async completeBatch(scanId: string, batchNo: number): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const inserted = await tx.scanBatch.createMany({ data: [{ scanId, batchNo }], skipDuplicates: true });
      const scan =
        inserted.count === 1
          ? await tx.scan.update({ where: { id: scanId }, data: { batchesDone: { increment: 1 }, heartbeatAt: new Date() } })
          : await tx.scan.findUniqueOrThrow({ where: { id: scanId } });
      return scan.status === 'running' && scan.enumerated && scan.batchesDone >= scan.batchesTotal;
    });
  }

  async isComplete(scanId: string): Promise<boolean> {
    const scan = await this.db.prisma.scan.findUnique({ where: { id: scanId } });
    return scan !== null && scan.enumerated && scan.batchesDone >= scan.batchesTotal;
  }

  /**
   * Finishes a running scan with totals counted from what it recorded. Returns null when the
   * scan was already finished (another replica got there first).
   */
  async finish(id: string, status: Exclude<ScanStatus, 'running'>, error: string | null = null): Promise<ScanSummary | null> {
    const [checked, failed, changes, alerts] = await Promise.all([
      this.db.prisma.trackedCustomer.count({ where: { lastScanId: id, lastOutcome: 'ok' } }),
      this.db.prisma.trackedCustomer.count({ where: { lastScanId: id, lastOutcome: 'failed' } }),
      this.db.prisma.documentEvent.count({ where: { scanId: id } }),
      this.db.prisma.alert.count({ where: { scanId: id, kind: 'document' } }),
    ]);
    const updated = await this.db.prisma.scan.updateMany({
      where: { id, status: 'running' },
      data: { status, finishedAt: new Date(), checked, failed, changes, alerts, error },
    });
    if (updated.count === 0) return null;
    return toSummary(await this.db.prisma.scan.findUniqueOrThrow({ where: { id } }));
  }

  async summary(id: string): Promise<ScanSummary | null> {
    const scan = await this.db.prisma.scan.findUnique({ where: { id } });
    return scan ? toSummary(scan) : null;
  }

  async recent(limit: number): Promise<ScanSummary[]> {
    return (await this.db.prisma.scan.findMany({ orderBy: { startedAt: 'desc' }, take: limit })).map(toSummary);
  }

  async lastCompleted(): Promise<ScanSummary | null> {
    const scan = await this.db.prisma.scan.findFirst({ where: { status: 'completed' }, orderBy: { startedAt: 'desc' } });
    return scan ? toSummary(scan) : null;
  }
}
