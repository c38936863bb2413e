// realrun: the detection simulation confirmed by the real thing. A sandbox whose world runs
// --realrun-time-scale (240) times faster than real time, a real `kyc-monitor worker` in
// continuous mode (a tick a second, CYREXA_MAX_RPS=--realrun-rps, TIME_SCALE and TIME_ORIGIN as
// the sandbox's), --realrun-customers (10,000) of the sandbox's world, real checks, real alerts
// in Postgres. The run covers --realrun-hours (24) of world time from 22:00 UTC, two hours before
// a world midnight, and two hours more for the changes near its end to be seen.
//
// The database starts where a monitor running the policy for long would be (steadyState:
// snapshots of the world at the start, each customer due as its previous check made it due), the
// same start the simulation (bench/parts/detection.ts, simulatePolicy) is given; the simulation
// then runs with the same world, customers, period and budget, scaled: requests a world second
// = rps / scale, a tick = scale seconds of world time, on the real ticks' grid.
//
// Each alert of the run (document_events into `expired` or `declined`) is paired with the world's
// change it reports (the latest change of that document into that status before it was
// detected); its time to alert is the world time from that change to detected_at. An event with
// no such change, or two events for one change, fails the run: the seeding or the product is wrong.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { defaultPolicy } from '../../dist/domain/check-policy.js';
import { DEFAULT_EXPIRY_METADATA_NAMES, readExpiry } from '../../dist/domain/expiry.js';
import { realTime, scaledTime, type TimeScale } from '../../dist/domain/time-scale.js';
import { generatedDocuments, worldChanges, type World } from '../../dist/sandbox/generator.js';
import { createDatabase } from '../../dist/store/database.js';
import { steadyState } from '../detection-world.ts';
import { spread } from '../percentiles.ts';
import { cleanUp, log, newRun, round, sandboxStats, seedSnapshots, startSandbox, startWorkers, trackGeneratedCustomers, workerEnv, type Figures } from '../support.ts';
import { KINDS, simulatePolicy, type Kind } from './detection.ts';

export interface RealRunOptions {
  customers: number;
  timeScale: number;
  rps: number;
  hours: number;
}

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DRAIN = 2 * HOUR;
const EXPIRY_NAMES = new Set<string>(DEFAULT_EXPIRY_METADATA_NAMES);

interface EventRow {
  customer_id: string;
  name: string;
  new_status: string;
  detected_at: Date;
}

export async function realRun({ customers, timeScale, rps, hours }: RealRunOptions): Promise<Figures> {
  if (timeScale < 2) throw new Error('realrun: --realrun-time-scale must be at least 2');
  const period = hours * HOUR;
  log(`realrun: ${customers} customers, world ${timeScale} × real time, ${rps} requests/s, ${hours} world hours (${((period + DRAIN) / timeScale / SECOND / 60).toFixed(1)} real minutes)`);
  const run = newRun('bench_realrun');
  const children: ChildProcess[] = [];
  const db = createDatabase({ url: run.databaseUrl });
  try {
    await trackGeneratedCustomers(run, customers);
    // The real instant t0 the worker starts at, and the world instant `start` it is then: 22:00 UTC
    // of a world day; the time origin (where both clocks agree) follows from the two.
    const t0 = Math.ceil((Date.now() + 15 * SECOND + customers) / SECOND) * SECOND;
    const wanted = Math.floor((t0 + DAY) / DAY) * DAY + 22 * HOUR;
    const time: TimeScale = { origin: Math.round(t0 + (t0 - wanted) / (timeScale - 1)), scale: timeScale };
    const start = scaledTime(time, t0);
    const end = start + period;
    const world: World = { seed: 1, origin: time.origin };
    const rules = defaultPolicy(24, 'UTC');
    await seedSnapshots(run, customers, {
      world,
      at: start,
      due: (documents, i) => {
        const due = steadyState(documents, i, customers, start, rules).due;
        return { at: new Date(realTime(time, due.at)), priority: due.priority };
      },
    });
    const sandbox = await startSandbox(['--customers', String(customers)], time);
    children.push(sandbox.child);
    const lead = t0 - Date.now();
    if (lead < 0) throw new Error(`realrun: seeding took ${-lead} ms longer than planned: the world moved past the seeded instant`);
    await delay(lead);
    const env = workerEnv(run, sandbox.url, {
      SCAN_MODE: 'continuous',
      TICK_SECONDS: '1',
      CYREXA_MAX_RPS: String(rps),
      TIME_SCALE: String(timeScale),
      TIME_ORIGIN: new Date(time.origin).toISOString(),
      LOG_LEVEL: 'info',
    });
    const [worker] = await startWorkers(1, env, children);
    const until = realTime(time, end + DRAIN);
    while (Date.now() < until) {
      await delay(Math.min(60 * SECOND, until - Date.now()));
      if (worker!.exitCode !== null) throw new Error(`realrun: the worker exited (${worker!.exitCode}) during the run`);
      const answered = (await sandboxStats(sandbox.url)).ok;
      log(`realrun: world at ${new Date(scaledTime(time, Date.now())).toISOString()}, ${answered} requests answered`);
    }
    const answered = (await sandboxStats(sandbox.url)).ok;
    const realSeconds = (Date.now() - t0) / SECOND;

    // The ticks' grid: the instants the due customers were chosen at (scans.started_at).
    const ticks = (await db.withClient((c) => c.query<{ started_at: Date }>(`SELECT started_at FROM scans WHERE trigger = 'continuous' ORDER BY started_at`))).rows.map((r) => r.started_at.getTime());
    if (ticks.length === 0) throw new Error('realrun: no continuous-mode tick started a check');
    const phase = spread(ticks.map((at) => at % SECOND)).p50;
    const firstTickReal = Math.floor((ticks[0]! - phase) / SECOND) * SECOND + phase;
    const firstTick = Math.max(start, scaledTime(time, firstTickReal));

    const events = (
      await db.withClient((c) =>
        c.query<EventRow>(`SELECT customer_id, name, new_status, detected_at FROM document_events WHERE NOT baseline AND new_status IN ('expired', 'declined') ORDER BY id`),
      )
    ).rows;
    const delays: number[][] = KINDS.map(() => []);
    const seen = new Set<string>();
    for (const e of events) {
      const detected = scaledTime(time, e.detected_at.getTime());
      const change = worldChanges(world, e.customer_id, start + 1, detected + 1)
        .filter((c) => c.name === e.name && c.to === e.new_status)
        .at(-1);
      if (!change) throw new Error(`realrun: ${e.customer_id} "${e.name}" became ${e.new_status} at world time ${new Date(detected).toISOString()}, a change the world never made since the start`);
      const key = `${e.customer_id}\u0000${e.name}\u0000${change.at}`;
      if (seen.has(key)) throw new Error(`realrun: the change of ${e.customer_id} "${e.name}" to ${e.new_status} at ${new Date(change.at).toISOString()} was alerted twice`);
      seen.add(key);
      if (change.at >= end) continue;
      const document = generatedDocuments(world, e.customer_id, start).find((d) => d.name === e.name);
      const readable = document !== undefined && readExpiry(document.metadata, EXPIRY_NAMES, 'UTC').expiresOn !== null;
      const kind: Kind = e.new_status === 'declined' ? 2 : readable ? 0 : 1;
      delays[kind]!.push(detected - change.at);
    }

    const { tally, undetected } = simulatePolicy({ world, customers, origin: start, end, rps: rps / timeScale, tickMs: timeScale * SECOND, firstTick, drainMs: DRAIN });
    const figures: Figures = { realrunCustomers: customers, realrunTimeScale: timeScale, realrunRps: rps, realrunWorldHours: hours };
    const ratios: number[] = [];
    for (const [k, kind] of KINDS.entries()) {
      const real = spread(delays[k]!);
      const simulated = spread(tally.delaysMs[k]!);
      figures[`realP50${kind}Seconds`] = round(real.p50 / SECOND);
      figures[`realP95${kind}Seconds`] = round(real.p95 / SECOND);
      figures[`realDetected${kind}`] = real.count;
      figures[`simulatedP50${kind}Seconds`] = round(simulated.p50 / SECOND);
      figures[`simulatedP95${kind}Seconds`] = round(simulated.p95 / SECOND);
      figures[`simulatedDetected${kind}`] = simulated.count;
      // Expiries without a readable date wait for the routine check (hours): too few in a day to compare.
      if (kind === 'ExpiredUnknownDate') continue;
      if (real.count < 5 || simulated.count < 5) throw new Error(`realrun: too few ${kind} alerts to compare (${real.count} real, ${simulated.count} simulated): more customers or hours`);
      const ratio = real.p95 / simulated.p95;
      figures[`realVsSimulatedP95${kind}Ratio`] = round(ratio, 3);
      ratios.push(ratio);
    }
    // The one of the two furthest from 1 (in either direction).
    figures.realVsSimulatedP95Ratio = round(ratios.reduce((worst, r) => (Math.abs(Math.log(r)) > Math.abs(Math.log(worst)) ? r : worst)), 3);
    figures.realrunChecksPerRealSecond = round(answered / realSeconds, 1);
    figures.simulatedChecksPerRealSecond = round(tally.checks / (period / timeScale / SECOND), 1);
    figures.simulatedUndetected = undetected;
    log(`realrun: real p95 ${figures.realP95ExpiredSeconds} s expired, ${figures.realP95DeclinedSeconds} s declined; simulated ${figures.simulatedP95ExpiredSeconds} s, ${figures.simulatedP95DeclinedSeconds} s`);
    return figures;
  } finally {
    await db.close();
    await cleanUp(run, children);
  }
}
