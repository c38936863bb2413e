import { countActiveSilences } from '../sql/count-silences.js';
import { insertSilence, type NewSilence } from '../sql/insert-silence.js';
import { listSilences, type SilenceRow } from '../sql/list-silences.js';
import { removeSilence, type RemoveOutcome } from '../sql/remove-silence.js';
import type { Database } from '../store/database.js';

export type { SilenceRow } from '../sql/list-silences.js';
export type { RemoveOutcome } from '../sql/remove-silence.js';

// Silences (SPEC §10): what a person adds, lists and removes. What they hold is decided where
// alerts are claimed and follow-ups queued (src/sql/silence-match.ts): nothing is dropped.

export class SilenceService {
  constructor(private readonly db: Database) {}

  /** Returns the new silence's id, or null when the customer was never tracked. */
  add(silence: NewSilence): Promise<string | null> {
    return this.db.withClient((c) => insertSilence(c, silence));
  }

  list(options: { all: boolean; now?: Date; limit?: number }): Promise<SilenceRow[]> {
    return this.db.withClient((c) => listSilences(c, { now: options.now ?? new Date(), all: options.all, limit: options.limit ?? 10_000 }));
  }

  remove(id: bigint, by: string, at = new Date()): Promise<RemoveOutcome> {
    return this.db.withClient((c) => removeSilence(c, { id, at, by }));
  }

  countActive(now = new Date()): Promise<number> {
    return this.db.withClient((c) => countActiveSilences(c, now));
  }
}
