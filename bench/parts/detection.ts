// detection: time to alert, simulated — no sandbox, database or Redis. --detection-customers
// (100,000) of the sandbox's world (seed 1) over --detection-days (30) from 2026-12-01T00:00Z,
// with --detection-rps (10) requests a second, under three ways of spending that budget:
//   cron     one full scan a day at 06:00 UTC, customers in id order at the rate limit;
//   uniform  continuous, every customer in turn (round robin) at the full rate;
//   policy   continuous, the product's policy (src/domain/check-policy.ts): a tick a minute
//            dispatches up to tickBudget(rps, 1 min) due customers, most urgent first
//            (moreUrgent), checked one after another at the rate limit from the tick, in batches
//            of BATCH_SIZE whose changes are recorded (detected_at) when the batch's last check
//            is done, as the worker writes a batch in one transaction; each check sets the
//            customer's next due with nextDue over the documents it saw.
// Every change of a document into `expired` or `declined` in the period is detected by the first
// check of its customer at or after it (a check after the period counts for a change before its
// end); if the document had changed again by then, the change was missed. The monitor knows the
// world at the origin: every customer was checked before it.
import { defaultPolicy, moreUrgent, nextDue, tickBudget, type Due } from '../../dist/domain/check-policy.js';
import { BATCH_SIZE } from '../../dist/scan/lifecycle.js';
import type { World } from '../../dist/sandbox/generator.js';
import { steadyState, verifyStates, worldTables } from '../detection-world.ts';
import { DECLINED, DocumentStates, EXPIRED, MAX_SLOTS, undoneBy, type WorldTables } from '../document-states.ts';
import { IndexHeap } from '../index-heap.ts';
import { spread } from '../percentiles.ts';
import { log, round, type Figures } from '../support.ts';

export interface DetectionOptions {
  customers: number;
  days: number;
  rps: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WORLD: World = { seed: 1, origin: Date.parse('2026-12-01T00:00:00Z') };
/** Changes are simulated this long past the period, so that those near its end are still seen (or counted as not seen). */
const DRAIN = 2 * DAY;

/** What is measured per change: expiries of documents whose expiry date the monitor can read, the others, declines. */
export const KINDS = ['Expired', 'ExpiredUnknownDate', 'Declined'] as const;
export type Kind = 0 | 1 | 2;

/** One strategy's detections, checks and sending, over [origin, end). */
export class Tally {
  readonly delaysMs: number[][] = KINDS.map(() => []);
  readonly missed = KINDS.map(() => 0);
  checks = 0;
  /** The longest any customer went unchecked; and the same, counting only waits that ended after the first two days (past the start). */
  oldestMs = 0;
  oldestAfterTwoDaysMs = 0;
  readonly #perSecond: Uint16Array;
  readonly #origin: number;
  readonly #end: number;

  constructor(origin: number, end: number) {
    this.#origin = origin;
    this.#end = end;
    this.#perSecond = new Uint16Array(Math.ceil((end - origin) / 1000));
  }

  /** A check in the period at `at` of a customer last checked at `previous`. */
  check(at: number, previous: number): void {
    if (at < this.#origin || at >= this.#end) throw new Error(`detection: a check at ${new Date(at).toISOString()} is outside the period`);
    this.checks++;
    this.#perSecond[Math.floor((at - this.#origin) / 1000)]!++;
    this.#waited(at, at - previous);
  }

  /** A customer's last check in the period was at `last`. */
  lastCheck(last: number): void {
    this.#waited(this.#end, this.#end - last);
  }

  #waited(until: number, ms: number): void {
    this.oldestMs = Math.max(this.oldestMs, ms);
    if (until >= this.#origin + 2 * DAY) this.oldestAfterTwoDaysMs = Math.max(this.oldestAfterTwoDaysMs, ms);
  }

  detected(kind: Kind, delayMs: number, missed: boolean): void {
    if (missed) this.missed[kind]!++;
    else this.delaysMs[kind]!.push(delayMs);
  }

  /** Whole seconds in which more than `rps` checks were sent. */
  secondsOver(rps: number): number {
    let over = 0;
    for (const sent of this.#perSecond) if (sent > rps) over++;
    return over;
  }
}

/** What each change means here: the kind of alert it raises (an index of KINDS), or -1. */
function alertKinds(tables: WorldTables, end: number): Int8Array {
  const kinds = new Int8Array(tables.at.length).fill(-1);
  for (let i = 0; i < tables.customers; i++) {
    for (let k = tables.first[i]!; k < tables.first[i + 1]!; k++) {
      if (tables.at[k]! >= end) continue;
      if (tables.to[k] === DECLINED) kinds[k] = 2;
      else if (tables.to[k] === EXPIRED) kinds[k] = tables.readable[i * MAX_SLOTS + tables.slot[k]!] ? 0 : 1;
    }
  }
  return kinds;
}

interface Simulation {
  tables: WorldTables;
  kinds: Int8Array;
  origin: number;
  end: number;
  /** Requests a second (of the world's time: less than one when it runs faster than real time). */
  rps: number;
}

/** The continuous mode's ticks: every `tickMs` from `firstTick` (≥ the origin), until `drainMs` past the end at most. */
export interface Ticks {
  tickMs: number;
  firstTick: number;
  drainMs: number;
}

/** Customer `i`'s alerts, for a strategy whose first check of `i` at or after `at` is `firstCheck(i, at)`. */
function detectRegularly(sim: Simulation, tally: Tally, firstCheck: (i: number, at: number) => number): void {
  const { tables, kinds } = sim;
  for (let i = 0; i < tables.customers; i++) {
    for (let k = tables.first[i]!; k < tables.first[i + 1]!; k++) {
      const kind = kinds[k]!;
      if (kind < 0) continue;
      const checkedAt = firstCheck(i, tables.at[k]!);
      tally.detected(kind as Kind, checkedAt - tables.at[k]!, undoneBy(tables, k, i, checkedAt));
    }
  }
}

function cron(sim: Simulation): Tally {
  const { tables, origin, end, rps } = sim;
  const tally = new Tally(origin, end);
  const spacing = 1000 / rps;
  if (tables.customers * spacing > DAY) throw new Error(`detection: a cron scan of ${tables.customers} customers at ${rps}/s takes longer than a day`);
  // The first 06:00 UTC at or after the origin; the scan before it was a day earlier.
  const firstScan = Math.ceil((origin - 6 * HOUR) / DAY) * DAY + 6 * HOUR;
  const checkOf = (i: number, day: number) => firstScan + day * DAY + i * spacing;
  for (let i = 0; i < tables.customers; i++) {
    let last = checkOf(i, -1);
    for (let day = 0; checkOf(i, day) < end; day++) {
      tally.check(checkOf(i, day), last);
      last = checkOf(i, day);
    }
    tally.lastCheck(last);
  }
  detectRegularly(sim, tally, (i, at) => {
    // The estimate, then exactly the first at or after (rounding may put it a scan off).
    let day = Math.max(0, Math.ceil((at - checkOf(i, 0)) / DAY));
    while (checkOf(i, day) < at) day++;
    while (day > 0 && checkOf(i, day - 1) >= at) day--;
    return checkOf(i, day);
  });
  return tally;
}

function uniform(sim: Simulation): Tally {
  const { tables, origin, end, rps } = sim;
  const tally = new Tally(origin, end);
  const n = tables.customers;
  // The j-th check from the origin is of customer j mod n; in the steady state of a round robin
  // each customer was last checked one round before its first check.
  const checkAt = (j: number) => origin + (j * 1000) / rps;
  const roundMs = (n * 1000) / rps;
  const last = Float64Array.from({ length: n }, (_, i) => checkAt(i) - roundMs);
  for (let j = 0; checkAt(j) < end; j++) {
    const i = j % n;
    tally.check(checkAt(j), last[i]!);
    last[i] = checkAt(j);
  }
  for (const at of last) tally.lastCheck(at);
  detectRegularly(sim, tally, (i, at) => {
    let j = i + Math.max(0, Math.ceil((at - checkAt(i)) / roundMs)) * n;
    while (checkAt(j) < at) j += n;
    while (j - n >= i && checkAt(j - n) >= at) j -= n;
    return checkAt(j);
  });
  return tally;
}

interface PolicyDetail {
  checksByPriority: number[];
  /** The most customers left due after a tick (the budget did not reach them). */
  maxBacklog: number;
  maxBacklogAfterTwoDays: number;
  /** Minutes from the origin to the first tick that left no one due. */
  startBacklogMinutes: number;
  /** Alerts of the period no check had seen DRAIN after it. */
  undetected: number;
}

function policy(sim: Simulation, ticks: Ticks): { tally: Tally; detail: PolicyDetail } {
  const { tables, kinds, origin, end, rps } = sim;
  const { tickMs, firstTick, drainMs } = ticks;
  if (firstTick < origin) throw new Error('detection: the first tick is before the origin');
  const tally = new Tally(origin, end);
  const n = tables.customers;
  const rules = defaultPolicy(24, 'UTC');
  const budget = tickBudget(rps, tickMs);
  // The shared rate limit spaces the checks a tick dispatches; its budget (0.9 × rps × tick) ends them within the tick.
  const spacing = 1000 / rps;
  const states = new DocumentStates(tables);
  const dueAt = new Float64Array(n);
  const priority = new Uint8Array(n);
  const last = new Float64Array(n);
  const detail: PolicyDetail = { checksByPriority: [0, 0, 0, 0], maxBacklog: 0, maxBacklogAfterTwoDays: 0, startBacklogMinutes: -1, undetected: 0 };
  const schedule = (i: number, due: Due) => {
    dueAt[i] = due.at;
    priority[i] = due.priority;
  };
  const dueOf = (i: number): Due => ({ at: dueAt[i]!, priority: priority[i]! as Due['priority'] });
  // Not due yet, by due time; and those due, one queue per priority by due time: taking from the
  // lowest priority number first, then the earliest, is moreUrgent's order.
  const waiting = new IndexHeap(n, dueAt);
  const due = [0, 1, 2, 3].map(() => new IndexHeap(n, dueAt));
  // The steady state of the world as it is at the origin (steadyState).
  for (let i = 0; i < n; i++) {
    const start = steadyState(states.documents(i), i, n, origin, rules);
    last[i] = start.last;
    schedule(i, start.due);
    waiting.push(i);
  }
  let pending = 0;
  for (const kind of kinds) if (kind >= 0) pending++;
  const batch = new Int32Array(budget);
  for (let tick = firstTick; tick < end || (pending > 0 && tick < end + drainMs); tick += tickMs) {
    while (waiting.size > 0 && dueAt[waiting.peek()]! <= tick) {
      const i = waiting.pop();
      due[priority[i]!]!.push(i);
    }
    let taken = 0;
    for (const queue of due) while (taken < budget && queue.size > 0) batch[taken++] = queue.pop();
    const backlog = due.reduce((sum, q) => sum + q.size, 0);
    if (tick < end) detail.maxBacklog = Math.max(detail.maxBacklog, backlog);
    if (tick < end && tick >= origin + 2 * DAY) detail.maxBacklogAfterTwoDays = Math.max(detail.maxBacklogAfterTwoDays, backlog);
    if (backlog === 0 && detail.startBacklogMinutes < 0) detail.startBacklogMinutes = (tick - origin) / MINUTE;
    for (let j = 1; j < taken; j++) {
      if (moreUrgent(dueOf(batch[j]!), dueOf(batch[j - 1]!))) throw new Error('detection: a tick took customers out of moreUrgent order');
    }
    for (let j = 0; j < taken; j++) {
      const i = batch[j]!;
      const checkedAt = tick + j * spacing;
      // Recorded with the rest of its batch, when the batch's last check is done.
      const recordedAt = tick + (Math.min(taken, (Math.floor(j / BATCH_SIZE) + 1) * BATCH_SIZE) - 1) * spacing;
      const before = states.next[i]!;
      const after = states.advance(i, checkedAt);
      for (let k = before; k < after; k++) {
        const kind = kinds[k]!;
        if (kind < 0) continue;
        tally.detected(kind as Kind, recordedAt - tables.at[k]!, undoneBy(tables, k, i, checkedAt));
        pending--;
      }
      if (checkedAt < end) {
        tally.check(checkedAt, last[i]!);
        last[i] = checkedAt;
        detail.checksByPriority[priority[i]!]!++;
      }
      schedule(i, nextDue(states.documents(i), checkedAt, rules));
      waiting.push(i);
    }
  }
  for (const at of last) tally.lastCheck(at);
  detail.undetected = pending;
  return { tally, detail };
}

/**
 * The policy's startOfDay reads the zone's offset at the same few midnights millions of times
 * through Intl.DateTimeFormat#formatToParts (~10 µs each, even for UTC: 90 % of a simulated
 * check). For the simulation only, the answers are remembered per formatter and instant (a pure
 * function of both; the callers only read them); the original is back when `run` returns.
 */
function withFormatMemo<T>(run: () => T): T {
  const prototype = Intl.DateTimeFormat.prototype;
  const original = prototype.formatToParts;
  const memo = new WeakMap<Intl.DateTimeFormat, Map<number, Intl.DateTimeFormatPart[]>>();
  prototype.formatToParts = function (this: Intl.DateTimeFormat, date?: Date | number) {
    if (typeof date !== 'number') return original.call(this, date);
    let byInstant = memo.get(this);
    if (!byInstant) memo.set(this, (byInstant = new Map()));
    let parts = byInstant.get(date);
    if (!parts) {
      if (byInstant.size >= 100_000) byInstant.clear();
      parts = original.call(this, date);
      byInstant.set(date, parts);
    }
    return parts;
  };
  try {
    return run();
  } finally {
    prototype.formatToParts = original;
  }
}

/** A strategy's figures under `${name}…` keys. */
function figuresOf(name: string, tally: Tally, sim: Simulation): Figures {
  const days = (sim.end - sim.origin) / DAY;
  const figures: Figures = {};
  KINDS.forEach((kind, k) => {
    const s = spread(tally.delaysMs[k]!);
    figures[`${name}P50${kind}Seconds`] = round(s.p50 / 1000);
    figures[`${name}P95${kind}Seconds`] = round(s.p95 / 1000);
    figures[`${name}Max${kind}Seconds`] = round(s.max / 1000);
    figures[`${name}Missed${kind}`] = tally.missed[k]!;
  });
  figures[`${name}ChecksPerDay`] = round(tally.checks / days);
  figures[`${name}OldestCheckHours`] = round(tally.oldestMs / HOUR, 2);
  figures[`${name}OldestCheckHoursAfterTwoDays`] = round(tally.oldestAfterTwoDaysMs / HOUR, 2);
  figures[`${name}BudgetExceededSeconds`] = tally.secondsOver(sim.rps);
  return figures;
}

export function detection({ customers, days, rps }: DetectionOptions): Figures {
  log(`detection: ${customers} customers, ${days} days, ${rps} requests/s`);
  const started = performance.now();
  const origin = WORLD.origin;
  const end = origin + days * DAY;
  const tables = worldTables(WORLD, customers, end + DRAIN);
  verifyStates(WORLD, tables, end + DRAIN - 1, 1000);
  const sim: Simulation = { tables, kinds: alertKinds(tables, end), origin, end, rps };
  const counts = KINDS.map((_, k) => sim.kinds.filter((kind) => kind === k).length);
  log(`detection: world of ${tables.at.length} changes (${counts.join(' / ')} ${KINDS.join(' / ')} in the period) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const timed = <T>(name: string, run: () => T): T => {
    const t = performance.now();
    const result = run();
    log(`detection: ${name} simulated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    return result;
  };
  const cronTally = timed('cron', () => cron(sim));
  const uniformTally = timed('uniform', () => uniform(sim));
  const { tally: policyTally, detail } = timed('policy', () => withFormatMemo(() => policy(sim, { tickMs: MINUTE, firstTick: origin, drainMs: DRAIN })));
  const policyFigures = figuresOf('policy', policyTally, sim);
  return {
    detectionCustomers: customers,
    detectionDays: days,
    detectionRps: rps,
    ...figuresOf('cron', cronTally, sim),
    ...figuresOf('uniform', uniformTally, sim),
    ...policyFigures,
    oldestCheckHours: policyFigures.policyOldestCheckHours!,
    budgetExceededSeconds: policyFigures.policyBudgetExceededSeconds!,
    ...Object.fromEntries(detail.checksByPriority.map((c, p) => [`policyPriority${p}ChecksPerDay`, round(c / days)])),
    policyMaxBacklog: detail.maxBacklog,
    policyMaxBacklogAfterTwoDays: detail.maxBacklogAfterTwoDays,
    policyStartBacklogMinutes: detail.startBacklogMinutes,
    policyUndetected: detail.undetected,
    detectionExpiredChanges: counts[0]!,
    detectionExpiredUnknownDateChanges: counts[1]!,
    detectionDeclinedChanges: counts[2]!,
    detectionSeconds: round((performance.now() - started) / 1000, 1),
  };
}

export interface PolicyRunOptions extends Ticks {
  world: World;
  customers: number;
  /** The period's changes are those in [origin, end); the monitor knows the world at the origin. */
  origin: number;
  end: number;
  rps: number;
}

/**
 * The policy's simulation for given parameters (bench/parts/realrun.ts runs the real worker with
 * the same): its detections by kind, and the changes of the period no check had seen `drainMs`
 * after its end.
 */
export function simulatePolicy(options: PolicyRunOptions): { tally: Tally; undetected: number } {
  const { world, customers, origin, end, rps, ...ticks } = options;
  const tables = worldTables(world, customers, end + ticks.drainMs, origin);
  const sim: Simulation = { tables, kinds: alertKinds(tables, end), origin, end, rps };
  const { tally, detail } = withFormatMemo(() => policy(sim, ticks));
  return { tally, undetected: detail.undetected };
}
