import type { Database } from './database.js';

// The audit trail, read side.

export interface HistoryEntry {
  id: bigint;
  detectedAt: Date;
  kind: string;
  purpose: string;
  documentType: string;
  name: string;
  previousStatus: string | null;
  newStatus: string | null;
  verificationResponse: string | null;
  baseline: boolean;
  scanId: string | null;
}

export class EventStore {
  constructor(private readonly db: Database) {}

  /** A customer's events, newest first. */
  async history(customerId: string, limit: number): Promise<HistoryEntry[]> {
    return this.db.prisma.documentEvent.findMany({
      where: { customerId },
      orderBy: { id: 'desc' },
      take: limit,
      select: {
        id: true,
        detectedAt: true,
        kind: true,
        purpose: true,
        documentType: true,
        name: true,
        previousStatus: true,
        newStatus: true,
        verificationResponse: true,
        baseline: true,
        scanId: true,
      },
    });
  }
}
