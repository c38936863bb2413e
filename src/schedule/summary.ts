import { statusKey } from '../domain/documents.js';
import { dayIn } from '../domain/expiry.js';
import { missedTick, type CronSchedule } from '../domain/schedule.js';
import type { OutboxStore } from '../outbox/store.js';

// The summary email's schedule (SPEC §12): on each tick of SUMMARY_CRON, one summary through the
// outbox, however many replicas look (the tick names it); a tick missed while no worker ran is
// made up once. Before the first customer is tracked there is nothing to summarise.

/** Queues the summary of the last tick not summarised yet; returns that tick, or null. */
export async function queueScheduledSummary(outbox: OutboxStore, schedule: Omit<CronSchedule, 'kind'>, alertStatuses: readonly string[], now: Date): Promise<Date | null> {
  const since = await outbox.summaryDueSince();
  if (since === null) return null;
  const tick = missedTick({ kind: 'cron', ...schedule }, since, now);
  if (tick === null) return null;
  return (await outbox.queueSummary(now, dayIn(now, schedule.timezone), `summary:tick:${tick.toISOString()}`, alertStatuses.map(statusKey))) ? tick : null;
}

/** A summary asked for now (`alerts summary`), whatever the schedule. */
export async function queueSummaryNow(outbox: OutboxStore, timezone: string, alertStatuses: readonly string[], now: Date): Promise<boolean> {
  return outbox.queueSummary(now, dayIn(now, timezone), `summary:manual:${now.toISOString()}:${process.pid}`, alertStatuses.map(statusKey));
}
