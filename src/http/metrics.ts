import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { settleBefore } from './settle.js';

// Prometheus metrics. Labels are outcomes and status classes only: never a customer id, never
// anything from a request or a secret.

/**
 * How long a gauge read from the database may take at scrape time. Past it the gauge is left
 * out of that scrape (Prometheus scrapes time out after 10 s by default: the rest must arrive).
 */
export const COLLECT_TIMEOUT_MS = 2_000;

export interface MetricsOptions {
  /** Default COLLECT_TIMEOUT_MS (tests of a database that does not answer make it short). */
  collectTimeoutMs?: number;
}

export interface MetricsSource {
  alertCounts(): Promise<{ pending: number; failed: number; sent: number }>;
  /** Customers tracked and how checking keeps up: one read a scrape serves all five of their gauges. */
  customerCounts(): Promise<CustomerFigures>;
  lastCompletedScanAt(): Promise<Date | null>;
  /** CYREXA_MAX_RPS × 3600, the budget-used gauge's denominator; absent: that gauge is not served. */
  apiBudgetPerHour?: number;
}

export interface CustomerFigures {
  tracked: number;
  checksLastHour: number;
  oldestCheckAt: Date | null;
  dueNow: number;
}

export type CheckOutcome = 'unchanged' | 'changed' | 'failed' | 'skipped';

export class Metrics {
  readonly registry = new Registry();
  private readonly scans: Counter<'outcome'>;
  private readonly checks: Counter<'outcome'>;
  private readonly unreadableExpiry: Counter;
  private readonly unknownValues: Counter<'field'>;
  private readonly requests: Histogram<'status'>;
  private readonly overdue: Gauge;
  private source: MetricsSource | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const timeoutMs = options.collectTimeoutMs ?? COLLECT_TIMEOUT_MS;
    const collected = <T>(read: () => Promise<T>): Promise<T> => settleBefore(read(), AbortSignal.timeout(timeoutMs));
    // Their names start with process_ and nodejs_ already: kyc_monitor_process_cpu_seconds_total.
    collectDefaultMetrics({ register: this.registry, prefix: 'kyc_monitor_' });
    this.scans = new Counter({ name: 'kyc_monitor_scans_total', help: 'Scans finished by this process, by outcome', labelNames: ['outcome'], registers });
    this.checks = new Counter({ name: 'kyc_monitor_checks_total', help: 'Customer checks by outcome', labelNames: ['outcome'], registers });
    this.unknownValues = new Counter({ name: 'kyc_monitor_unknown_values_total', help: 'Documents carrying a status, purpose or documentType outside the documented enumerations, by field', labelNames: ['field'], registers });
    this.unreadableExpiry = new Counter({ name: 'kyc_monitor_expiry_unreadable_total', help: 'Document metadata entries named as an expiry date whose value could not be read', registers });
    this.requests = new Histogram({
      name: 'kyc_monitor_cyrexa_request_duration_seconds',
      help: 'Cyrexa API request latency by status (2xx, 4xx, 5xx, network, timeout)',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.customerGauges(collected, registers);
    this.overdue = new Gauge({ name: 'kyc_monitor_scan_overdue', help: '1 when no scan has completed within twice the schedule interval', registers });
    const source = () => this.source;
    new Gauge({
      name: 'kyc_monitor_alerts',
      help: 'Alerts in the outbox by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const from = source();
        if (!from) return;
        const counts = await collected(() => from.alertCounts());
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'kyc_monitor_last_completed_scan_timestamp_seconds',
      help: 'Unix time at which the last completed scan finished (0: none yet)',
      registers,
      async collect() {
        const from = source();
        if (!from) return;
        const at = await collected(() => from.lastCompletedScanAt());
        this.set(at ? at.getTime() / 1000 : 0);
      },
    });
  }

  /** The gauges of the tracked customers and how checking keeps up, from one read a scrape. */
  private customerGauges(collected: <T>(read: () => Promise<T>) => Promise<T>, registers: Registry[]): void {
    const source = () => this.source;
    // Each gauge's collect() asks; the first read of a scrape is shared by the others (it is one
    // pass over every tracked customer: reading it five times would cost five).
    let pending: Promise<CustomerFigures | null> | null = null;
    const figures = () => {
      const from = source();
      if (!from) return Promise.resolve(null);
      pending ??= collected(() => from.customerCounts()).finally(() => setTimeout(() => (pending = null), 0));
      return pending;
    };
    const gauge = (name: string, help: string, value: (f: CustomerFigures, from: MetricsSource) => number | null) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const from = source();
          const f = from ? await figures() : null;
          const v = f && from ? value(f, from) : null;
          if (v !== null) this.set(v);
        },
      });
    gauge('kyc_monitor_tracked_customers', 'Customers being tracked', (f) => f.tracked);
    gauge('kyc_monitor_checks_last_hour', 'Customers checked in the last hour', (f) => f.checksLastHour);
    gauge('kyc_monitor_api_budget_used_ratio', "Checks in the last hour over the hour's API budget (CYREXA_MAX_RPS × 3600)", (f, from) => (from.apiBudgetPerHour ? f.checksLastHour / from.apiBudgetPerHour : null));
    gauge('kyc_monitor_oldest_check_timestamp_seconds', 'Unix time of the oldest last check of a tracked customer (when tracked, if never checked; 0: none tracked)', (f) => (f.oldestCheckAt ? f.oldestCheckAt.getTime() / 1000 : 0));
    gauge('kyc_monitor_due_customers', 'Customers due for a check now (continuous mode)', (f) => f.dueNow);
  }

  /** Where the gauges read from at scrape time (the database). */
  readFrom(source: MetricsSource): void {
    this.source = source;
  }

  observeCheck(outcome: CheckOutcome, count = 1): void {
    if (count > 0) this.checks.inc({ outcome }, count);
  }

  observeUnknownValues(field: string, count: number): void {
    if (count > 0) this.unknownValues.inc({ field }, count);
  }

  observeUnreadableExpiry(count: number): void {
    if (count > 0) this.unreadableExpiry.inc(count);
  }

  observeScan(outcome: string): void {
    this.scans.inc({ outcome });
  }

  observeRequest(status: number | 'network' | 'timeout', ms: number): void {
    const label = typeof status === 'number' ? `${Math.floor(status / 100)}xx` : status;
    this.requests.observe({ status: label }, ms / 1000);
  }

  setOverdue(overdue: boolean): void {
    this.overdue.set(overdue ? 1 : 0);
  }
}
