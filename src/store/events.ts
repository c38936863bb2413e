import { customerHistory, type HistoryEntry } from '../sql/customer-history.js';
import type { Database } from './database.js';

export type { HistoryEntry } from '../sql/customer-history.js';

// The audit trail, read side.

export class EventStore {
  constructor(private readonly db: Database) {}

  /** A customer's events, newest first; `known` false when it was never tracked. */
  async history(customerId: string, limit: number): Promise<{ known: boolean; events: HistoryEntry[] }> {
    return this.db.withClient((c) => customerHistory(c, customerId, limit));
  }
}
