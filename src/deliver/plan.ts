import { recipientsFor, recipientsKey, type AlertRoutes } from '../domain/recipients.js';

// The arithmetic of a delivery pass, with no I/O: who an alert is for, which alerts share an
// email, when a group is due, when a refused alert is tried again.

export interface Routing {
  to: readonly string[];
  routes: AlertRoutes;
  opsTo: readonly string[];
  /** ESCALATE_TO. */
  escalateTo?: readonly string[];
}

/**
 * The recipients an alert is fanned out to: OPS_ALERT_TO for operations alerts, ESCALATE_TO for
 * escalations, ALERT_TO for the summary, else (document alerts, reminders) its purpose's route.
 */
export function recipientsOf(alert: { kind: string; purpose: string | null }, routing: Routing): readonly string[] {
  if (alert.kind === 'ops') return routing.opsTo;
  if (alert.kind === 'summary') return routing.to;
  if (alert.kind === 'escalation') return routing.escalateTo ?? [];
  return recipientsFor(alert.purpose ?? '', routing.routes, routing.to);
}

/** Reminders and escalations: they follow up a case and go out only while it is still open. */
export function isFollowUp(kind: string): kind is 'reminder' | 'escalation' {
  return kind === 'reminder' || kind === 'escalation';
}

export interface Group<A> {
  /** Sorted. */
  recipients: readonly string[];
  alerts: A[];
}

/**
 * Alerts of one kind still owed to the same set of recipients go out together (document alerts,
 * reminders, escalations: an email each); an operations alert is an email of its own. Groups
 * keep the alerts' order; alerts owed to no one are left out. A summary is an email of its own too.
 */
export function groupByOwed<A extends { id: bigint; kind: string; owed: readonly string[] }>(alerts: readonly A[]): Group<A>[] {
  const groups = new Map<string, Group<A>>();
  for (const alert of alerts) {
    if (alert.owed.length === 0) continue;
    const recipients = [...alert.owed].sort();
    // Expiry warnings go out in the document alert emails, under their own heading.
    const kind = alert.kind === 'expiring' ? 'document' : alert.kind;
    const key = kind === 'ops' || kind === 'summary' ? `${kind}:${alert.id}` : `${kind}:${recipientsKey(recipients)}`;
    const group = groups.get(key) ?? { recipients, alerts: [] };
    group.alerts.push(alert);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** A group is due once its oldest alert has waited the batch window, or at once when forced. */
export function isDue(alerts: ReadonlyArray<{ detectedAt: Date }>, now: Date, batchMs: number, force: boolean): boolean {
  if (force) return true;
  const oldest = Math.min(...alerts.map((a) => a.detectedAt.getTime()));
  return now.getTime() - oldest >= batchMs;
}

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/** base, 2 × base, 4 × base … after 0, 1, 2 … earlier attempts, at most `maxMs`. */
export function retryDelayMs(attempts: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, attempts)));
}

/** Consecutive slices of at most `size` items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
