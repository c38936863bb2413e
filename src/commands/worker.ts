import { batchesInFlight } from '../app.js';
import { tickBudget } from '../domain/check-policy.js';
import { COMMAND_SECTIONS } from './sections.js';
import { startHttpServer } from '../http/server.js';
import { startCasePages } from '../web/server.js';
import { WorkerRuntime } from '../runtime/worker-runtime.js';
import { recoverLostQueues } from '../schedule/recovery.js';
import { startQueueWorkers } from '../schedule/workers.js';
import { isOverdue, missedTick, tickSpacingMs } from '../domain/schedule.js';
import { queueScheduledSummary } from '../schedule/summary.js';
import { migrate, pendingMigrations } from '../store/migrations.js';
import { CommandError, EXIT_OK, runCommand } from './context.js';

// `worker`: builds the runtime's functions from the App and runs it until SIGTERM/SIGINT.

/** How often the worker looks for due reminders and escalations. */
export function followUpEveryMs(policy: { remindEveryMs: number; escalateAfterMs: number }): number {
  const shortest = Math.min(...[policy.remindEveryMs, policy.escalateAfterMs].filter((ms) => ms > 0), Infinity);
  return Math.max(1_000, Math.min(60_000, shortest / 4));
}

export function workerCommand(): Promise<number> {
  return runCommand(COMMAND_SECTIONS.worker, async ({ app, config, log, signal }) => {
    const schedule = config.scan.schedule;
    const metrics = app.metrics;
    if (!metrics) throw new Error('internal: the worker loads the http section, and with it the metrics');
    const startedAt = new Date();
    const time = config.rules.time;
    if (time.scale !== 1) log.warn({ timeScale: time.scale, timeOrigin: new Date(time.origin).toISOString() }, 'expiry dates are counted on a clock running TIME_SCALE times faster than real time: for demos with the sandbox only');
    const caughtUp = new Set<number>();
    const recovery = () => ({ queues: app.queues, db: app.db, lifecycle: app.lifecycle, schedule, log });
    const runtime = new WorkerRuntime(
      {
        checkRedis: () => app.connectRedis(signal),
        migrate: async () => (await migrate(config.database.url)).applied,
        async registerSchedule() {
          // A first start (or lost queues) registers it while repairing; otherwise the
          // configuration may have changed since the last start.
          if (!(await recoverLostQueues(recovery()))) await app.queues.registerSchedule(schedule);
          log.info({ schedule }, 'scan schedule registered');
        },
        repairQueues: () => recoverLostQueues(recovery()),
        async catchUp() {
          if (schedule.kind !== 'cron') return;
          const { lastStartedAt, running } = await app.scans.latest();
          if (running) return;
          const missed = missedTick(schedule, lastStartedAt, new Date());
          if (!missed || (lastStartedAt === null && (await app.customers.countActive()) === 0)) return;
          // The tick's time names the job: replicas, and repeated looks, queue it once.
          await app.queues.enqueueCatchUp(String(missed.getTime()));
          if (!caughtUp.has(missed.getTime())) log.info({ missedTick: missed.toISOString() }, 'catch-up scan queued');
          caughtUp.add(missed.getTime());
        },
        startQueueWorkers: (onError) =>
          startQueueWorkers(
            {
              connection: app.redis,
              prefix: app.queuePrefix,
              queues: app.queues,
              lifecycle: app.lifecycle,
              log,
              batchConcurrency: batchesInFlight(config.scan.checkConcurrency),
              ...(schedule.kind === 'continuous' ? { tickBudget: tickBudget(config.cyrexa.maxRps, schedule.tickSeconds * 1000) } : {}),
              locks: { lockMs: config.scan.queueLockMs, stalledIntervalMs: Math.max(500, Math.floor(config.scan.queueLockMs / 2)) },
            },
            onError,
          ),
        deliver: async () => {
          await app.delivery.deliver();
        },
        async queueSummary() {
          if (!config.mail.summary) return false;
          const tick = await queueScheduledSummary(app.outbox, config.mail.summary, config.rules.statuses, new Date());
          if (tick) log.info({ tick: tick.toISOString() }, 'summary email queued');
          return tick !== null;
        },
        async followUpCases() {
          const queued = await app.outbox.queueFollowUps(new Date(), config.mail.cases);
          if (queued.reminders + queued.escalations > 0) log.info(queued, 'case reminders and escalations queued');
          return queued.reminders + queued.escalations > 0;
        },
        async checkOverdue() {
          // Overdue: two scheduled ticks passed since the last scan completed, not counting the
          // time that scan took (a scan that takes longer than the interval is late, not lost).
          const last = await app.scans.lastCompleted();
          const now = Date.now();
          const took = last?.finishedAt ? last.finishedAt.getTime() - last.startedAt.getTime() : 0;
          const overdue = isOverdue(schedule, last?.finishedAt ?? startedAt, new Date(now - took));
          metrics.setOverdue(overdue);
          if (overdue) log.warn({ lastCompletedAt: last?.finishedAt?.toISOString() ?? null }, 'scans are overdue: no scan has completed for two scheduled ticks');
        },
        async startHttp() {
          if (config.http.port === 0) return null;
          metrics.readFrom({
            alertCounts: async () => {
              const { pending, failed, sent } = await app.outbox.counts();
              return { pending, failed, sent };
            },
            customerCounts: () => app.customers.counts(),
            lastCompletedScanAt: async () => (await app.scans.lastCompleted())?.finishedAt ?? null,
            apiBudgetPerHour: config.cyrexa.maxRps * 3600,
          });
          return startHttpServer(
            config.http.port,
            {
              database: async () => {
                await app.db.withClient((c) => c.query('SELECT 1'));
              },
              redis: async () => {
                await app.redis.ping();
              },
              pendingMigrations: () => pendingMigrations(config.database.url),
            },
            metrics.registry,
            log,
          ).catch((error: unknown) => {
            if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
              throw new CommandError(`HTTP_PORT ${config.http.port} is in use: set HTTP_PORT to a free port (0 turns the HTTP server off)`);
            }
            throw error;
          });
        },
        async startWeb() {
          const links = config.links;
          if (!links) return null;
          const pages = await startCasePages({ port: config.web.port, cases: app.cases, links, log }).catch((error: unknown) => {
            if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
              throw new CommandError(`WEB_PORT ${config.web.port} is in use: set WEB_PORT to a free port (the case pages' port, apart from HTTP_PORT)`);
            }
            throw error;
          });
          return { close: () => pages.close(2_000) };
        },
        close: (deadline) => app.close(deadline),
      },
      {
        deliveryEveryMs: Math.min(5_000, Math.max(1_000, (config.mail.batchSeconds * 1000) / 4)),
        catchUpEveryMs: 10_000,
        // Often enough to notice within a tick: every minute, or twice a tick for short intervals.
        overdueEveryMs: schedule.kind === 'every' ? Math.max(1_000, Math.min(60_000, (schedule.seconds * 1000) / 2)) : 60_000,
        // Lost queues are noticed about as fast as a dead worker's jobs are handed on.
        queueCheckEveryMs: Math.min(10_000, config.scan.queueLockMs),
        // Every minute, or four times an interval when reminders or escalation come sooner.
        followUpEveryMs: followUpEveryMs(config.mail.cases),
        // Every minute, or twice a tick for a schedule that ticks more often (seconds in tests).
        summaryEveryMs: config.mail.summary ? Math.max(1_000, Math.min(60_000, tickSpacingMs({ kind: 'cron', ...config.mail.summary }, new Date()) / 2)) : 60_000,
        shutdownMs: 25_000,
      },
      log,
    );
    runtime.on('error', (name, error) => log.error({ task: name, err: error }, 'background task failed'));
    app.lifecycle.on('ended', () => runtime.deliverSoon());
    await runtime.run(signal);
    return EXIT_OK;
  }, { queues: true });
}
