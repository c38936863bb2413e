import { countCustomers, type CustomerCounts } from '../sql/count-customers.js';
import { listCustomers, type CustomerRow, type ListCustomers } from '../sql/list-customers.js';
import { trackCustomers } from '../sql/track-customers.js';
import { untrackCustomers } from '../sql/untrack-customers.js';
import type { Database } from './database.js';

export type { CustomerRow } from '../sql/list-customers.js';

// Tracked customers: the list and its paging (src/sql/ holds the statements).

/** Ids per statement: a long list goes in several. */
const CHUNK = 1000;

export class CustomerStore {
  constructor(private readonly db: Database) {}

  /** Starts (or resumes) tracking; returns how many were not tracked before. */
  async add(ids: readonly string[]): Promise<number> {
    let added = 0;
    for (let i = 0; i < ids.length; i += CHUNK) added += await this.db.withClient((c) => trackCustomers(c, ids.slice(i, i + CHUNK)));
    return added;
  }

  /**
   * Stops tracking; snapshots and history are kept, unresolved cases are resolved as
   * `untracked`. Returns the ids that were being tracked.
   */
  async remove(ids: readonly string[], at = new Date()): Promise<string[]> {
    const removed: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) removed.push(...(await this.db.withClient((c) => untrackCustomers(c, ids.slice(i, i + CHUNK), at))));
    return removed;
  }

  /** How many customers are tracked, and how many of them failed their last check. */
  /** Tracked, failing, and how checking keeps up (checks in the last hour, oldest last check, due now): one pass. */
  async counts(): Promise<CustomerCounts> {
    return this.db.withClient((c) => countCustomers(c));
  }

  async countActive(): Promise<number> {
    return (await this.counts()).tracked;
  }

  async list(options: ListCustomers): Promise<CustomerRow[]> {
    return this.db.withClient((c) => listCustomers(c, options));
  }
}
