import { ALL_SECTIONS } from '../config.js';
import { startHttpServer } from '../http/server.js';
import { errorMessage } from '../logger.js';
import { recoverLostQueues, watchForLostQueues } from '../queue/recovery.js';
import { startWorkers } from '../queue/workers.js';
import { missedTick, tickInterval } from '../scan/schedule.js';
import { migrate, pendingMigrations } from '../store/migrations.js';
import { EXIT_OK, runCommand } from './context.js';

/** Everything must be closed within SPEC's 30 s of SIGTERM; jobs get most of it. */
const JOB_DRAIN_MS = 20_000;
/** How often the worker checks that Redis still holds the queues (it may be flushed or restarted). */
const QUEUE_CHECK_MS = 10_000;

export function workerCommand(): Promise<number> {
  return runCommand(ALL_SECTIONS, async ({ app, config, log, signal }) => {
    const migrated = await migrate(config.database.url);
    if (migrated.applied.length) log.info({ applied: migrated.applied }, 'migrations applied');
    const recovery = { queues: app.queues, scans: app.scans, scanService: app.scanService, schedule: config.scan.schedule, log };
    // Registers the schedule itself when the queues were new (or lost); otherwise the schedule
    // is updated here, since the configuration may have changed.
    if (!(await recoverLostQueues(recovery))) await app.queues.registerSchedule(config.scan.schedule);
    log.info({ schedule: config.scan.schedule }, 'scan schedule registered');
    const queueWatch = watchForLostQueues(recovery, QUEUE_CHECK_MS);

    // After downtime: one catch-up scan if a cron tick was missed (the tick's time names it, so
    // replicas starting together add it once). A fixed-interval schedule fires at once anyway.
    const [last] = await app.scans.recent(1);
    const missed = config.scan.schedule.kind === 'cron' ? missedTick(config.scan.schedule, last?.startedAt ?? null, new Date()) : null;
    if (missed && (last || (await app.customers.countActive()) > 0)) {
      await app.queues.enqueueCatchUp(String(missed.getTime()));
      log.info({ missedTick: missed.toISOString() }, 'catch-up scan queued');
    }

    let deliveryRunning: Promise<unknown> = Promise.resolve();
    let stopping = false;
    const deliverNow = () => {
      if (stopping) return;
      deliveryRunning = deliveryRunning
        .then(() => app.delivery.deliver())
        .catch((error: unknown) => log.error({ err: errorMessage(error) }, 'alert delivery pass failed'));
    };
    const deliveryTimer = setInterval(deliverNow, Math.min(5_000, Math.max(1_000, (config.mail.batchSeconds * 1000) / 4)));

    const workers = startWorkers({
      connection: app.redis,
      prefix: app.queuePrefix,
      queues: app.queues,
      scanService: app.scanService,
      scans: app.scans,
      log,
      batchConcurrency: Math.max(2, Math.ceil(config.scan.checkConcurrency / 50) + 1),
      onScanFinished: (summary) => {
        app.metrics.observeScan(summary.status);
        log.info({ scanId: summary.scanId, status: summary.status }, 'scan finished');
        deliverNow();
      },
    });

    app.metrics.readFrom({
      alertCounts: () => app.outbox.counts(),
      trackedCustomers: () => app.customers.countActive(),
      lastCompletedScanAt: async () => (await app.scans.lastCompleted())?.finishedAt ?? null,
    });
    // Nobody watches a dashboard: say so in the logs and metrics when scans stop completing.
    const startedAt = Date.now();
    const interval = tickInterval(config.scan.schedule, new Date());
    const checkOverdue = async () => {
      const last = await app.scans.lastCompleted();
      const since = last?.finishedAt?.getTime() ?? startedAt;
      const overdue = Date.now() - since > 2 * interval;
      app.metrics.setOverdue(overdue);
      if (overdue) {
        log.warn({ lastCompletedAt: last?.finishedAt?.toISOString() ?? null, intervalSeconds: interval / 1000 }, 'no scan has completed within twice the schedule interval');
      }
    };
    const overdueTimer = setInterval(() => void checkOverdue().catch(() => undefined), Math.max(1_000, Math.min(60_000, interval / 2)));

    const http =
      config.http.port > 0
        ? await startHttpServer(
            config.http.port,
            {
              database: async () => {
                await app.db.withClient((c) => c.query("SELECT 1"));
              },
              redis: async () => {
                await app.redis.ping();
              },
              pendingMigrations: () => pendingMigrations(config.database.url),
            },
            app.metrics.registry,
            log,
          )
        : undefined;

    log.info('worker started');
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });

    log.info('shutting down');
    stopping = true;
    clearInterval(deliveryTimer);
    clearInterval(overdueTimer);
    await Promise.race([queueWatch.stop(), new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
    // Jobs in flight finish; past the drain time they are dropped and BullMQ hands them to
    // another replica (or this one after a restart) as stalled.
    const drained = await Promise.race([
      workers.close().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), JOB_DRAIN_MS).unref()),
    ]);
    if (!drained) {
      log.warn('jobs still running at the shutdown deadline: handing them back');
      await Promise.race([workers.close(true), new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
    }
    await Promise.race([deliveryRunning, new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
    await http?.close();
    log.info('worker stopped');
    return EXIT_OK;
  });
}
