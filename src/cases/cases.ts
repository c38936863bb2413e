import { statesOf, type CaseStateFilter } from '../domain/cases.js';
import type { CaseRow } from '../sql/case-row.js';
import { acknowledgeCases } from '../sql/acknowledge-cases.js';
import { addCaseNote } from '../sql/add-case-note.js';
import { caseTimeline, type TimelineRow } from '../sql/case-timeline.js';
import { countCases, type CaseCountsRow } from '../sql/count-cases.js';
import { getCases } from '../sql/get-cases.js';
import { listCases } from '../sql/list-cases.js';
import { resolveCasesManually } from '../sql/resolve-cases-manually.js';
import type { Database, SqlClient } from '../store/database.js';

export type { CaseRow } from '../sql/case-row.js';
export type { TimelineRow } from '../sql/case-timeline.js';
export type { CaseCountsRow } from '../sql/count-cases.js';

// What people do with cases (SPEC §10), from the command line or the email's link: list, show,
// acknowledge, resolve, note. The product's own steps (open, join, resolve by a check or by
// `track remove`) are written with the changes that cause them (src/sql/).

/** Some of the ids name no case: nothing was recorded. */
export class UnknownCases extends Error {
  override name = 'UnknownCases';
  constructor(readonly ids: readonly bigint[]) {
    super(`no case ${ids.map((id) => `#${id}`).join(', ')}`);
  }
}

/** What an acknowledgement or a resolution did to one case. */
export interface CaseChange {
  case: CaseRow;
  /** False: it was acknowledged (or resolved) already and was left as it was. */
  changed: boolean;
}

export interface PersonAct {
  by: string;
  note: string | null;
  at?: Date;
}

export class CaseService {
  constructor(private readonly db: Database) {}

  /** One page, oldest first; pass the last row as `after` for the next. */
  list(options: { state: CaseStateFilter; customerId?: string | null; after?: CaseRow | null; limit: number }): Promise<CaseRow[]> {
    const after = options.after ? { openedAt: options.after.opened_at, id: options.after.id } : null;
    return this.db.withClient((c) => listCases(c, { states: statesOf(options.state), customerId: options.customerId ?? null, after, limit: options.limit }));
  }

  /** The case and its timeline, or null. */
  async show(id: bigint): Promise<{ case: CaseRow; timeline: TimelineRow[] } | null> {
    return this.db.withClient(async (c) => {
      const [found] = await getCases(c, [id]);
      return found ? { case: found, timeline: await caseTimeline(c, id) } : null;
    });
  }

  counts(): Promise<CaseCountsRow> {
    return this.db.withClient((c) => countCases(c));
  }

  /** Acknowledges the open ones; throws `UnknownCases` (recording nothing) when an id names no case. */
  acknowledge(ids: readonly bigint[], act: PersonAct & { via: string }): Promise<CaseChange[]> {
    return this.act(ids, (c, at) => acknowledgeCases(c, { ids, at, by: act.by, note: act.note, via: act.via }), act.at);
  }

  /** Resolves the unresolved ones (`manual`); throws `UnknownCases` (recording nothing) when an id names no case. */
  resolve(ids: readonly bigint[], act: PersonAct & { note: string }): Promise<CaseChange[]> {
    return this.act(ids, (c, at) => resolveCasesManually(c, { ids, at, by: act.by, note: act.note }), act.at);
  }

  /** Adds a note to the case's timeline; throws `UnknownCases` when there is no such case. */
  async note(id: bigint, act: PersonAct & { note: string }): Promise<void> {
    const added = await this.db.withClient((c) => addCaseNote(c, { id, at: act.at ?? new Date(), by: act.by, note: act.note }));
    if (!added) throw new UnknownCases([id]);
  }

  private async act(ids: readonly bigint[], change: (c: SqlClient, at: Date) => Promise<string[]>, at = new Date()): Promise<CaseChange[]> {
    const unique = [...new Set(ids)];
    return this.db.withTransaction(async (c) => {
      // Cases are never deleted: those found now exist when the change runs.
      const known = new Set((await getCases(c, unique)).map((r) => r.id));
      const unknown = unique.filter((id) => !known.has(String(id)));
      if (unknown.length) throw new UnknownCases(unknown);
      const changed = new Set(await change(c, at));
      const after = await getCases(c, unique);
      return after.map((row) => ({ case: row, changed: changed.has(row.id) }));
    });
  }
}
