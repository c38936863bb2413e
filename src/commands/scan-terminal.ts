import cliProgress from 'cli-progress';
import type { BatchOutcome, CustomerChecked } from '../check/check-batch.js';
import type { ScanSummary } from '../domain/scan.js';
import { levelNumber, readableLogLine, type LogOutput } from '../logger.js';

// `scan` on a terminal: a progress bar that moves with every customer, and nothing else drawn
// over it. The log is shown above the bar, one readable line per entry (not JSON): warnings and
// errors, or everything with LOG_LEVEL=debug; the info lines say what the summary says. The
// same message beyond a few times is counted, and the count told in the summary. Elsewhere
// (stderr redirected) the log stays JSON, whole.

/** Lines of one message shown before the rest are only counted. */
const SHOWN_PER_MESSAGE = 3;

export interface ScanTerminalOptions {
  /** Customers expected (tracked when the scan started). */
  total: number;
  /** Draw the bar (else only the readable log). */
  bar: boolean;
  /** LOG_LEVEL. */
  logLevel: string;
  /** Where the readable lines go when no bar is drawn (stderr). */
  write?: (text: string) => void;
}

export class ScanTerminal {
  private readonly multibar: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private readonly threshold: number;
  private readonly write: (text: string) => void;
  private readonly shown = new Map<string, number>();
  private readonly hidden = new Map<string, { level: string; count: number }>();
  private restoreLog: (() => void) | undefined;
  /** The scan was stopped (Ctrl-C): the customers it skips from now on are not progress. */
  private frozen = false;
  private checked = 0;
  private failed = 0;
  private alerts = 0;
  private total: number;

  constructor(
    logOutput: LogOutput,
    private readonly options: ScanTerminalOptions,
  ) {
    this.total = options.total;
    const configured = levelNumber(options.logLevel);
    this.threshold = configured < levelNumber('info') ? configured : levelNumber('warn');
    this.write = options.write ?? ((text) => process.stderr.write(text));
    if (options.bar) {
      this.multibar = new cliProgress.MultiBar(
        // forceRedraw: after lines written above it, the bar is drawn again even when its figures did not change.
        { format: 'scan [{bar}] {value}/{total} customers | {failed} failed | {alerts} alerts', stream: process.stderr, hideCursor: true, clearOnComplete: false, forceRedraw: true },
        cliProgress.Presets.shades_classic,
      );
    }
    this.restoreLog = logOutput.divert((line) => this.logLine(line));
  }

  start(): void {
    this.bar = this.multibar?.create(this.total, 0, { failed: 0, alerts: 0 });
  }

  /** One customer's check ended (CheckDependencies.onCustomerChecked). */
  customerChecked(checked: CustomerChecked): void {
    // Stopped (Ctrl-C, credentials rejected), a scan skips the rest: that is not progress.
    if (this.frozen && checked.outcome === 'skipped') return;
    this.checked++;
    if (checked.outcome === 'failed') this.failed++;
    this.redraw();
  }

  /** A batch was written: its alerts are raised now. */
  batchDone(outcome: BatchOutcome): void {
    this.alerts += outcome.alerts;
    this.redraw();
  }

  /** The scan ended: the bar shows what it really did (all of it, or what was checked before it stopped). */
  settle(summary: Pick<ScanSummary, 'status' | 'customers' | 'checked' | 'failed' | 'alerts'>): void {
    this.frozen = true;
    this.total = Math.max(summary.customers, 1);
    this.bar?.setTotal(this.total);
    this.bar?.update(summary.status === 'completed' ? summary.customers : summary.checked + summary.failed, { failed: summary.failed, alerts: summary.alerts });
  }

  /** The scan is being stopped: what it leaves unchecked does not move the bar. */
  freeze(): void {
    this.frozen = true;
  }

  private redraw(): void {
    const done = this.checked;
    if (done > this.total) {
      this.total = done;
      this.bar?.setTotal(done);
    }
    this.bar?.update(done, { failed: this.failed, alerts: this.alerts });
  }

  /** Takes the bar off the screen's bottom line, its last state drawn; the log stays readable until close(). */
  stopBar(): void {
    if (!this.multibar || !this.bar) return;
    // Lines logged since the last redraw are written before the bar's final state.
    this.multibar.update();
    this.multibar.stop();
    this.bar = undefined;
  }

  /** The log back to JSON on stderr. */
  close(): void {
    this.stopBar();
    this.restoreLog?.();
    this.restoreLog = undefined;
  }

  /** What the summary adds: the lines of the log that were counted, not shown. */
  notes(): string[] {
    return [...this.hidden].map(([msg, { level, count }]) => `${count} more "${msg}" ${level} line(s) not shown (stderr redirected to a file gets them all)`);
  }

  private logLine(line: string): void {
    const readable = readableLogLine(line);
    if (readable === null) return this.show(line.trimEnd());
    if (readable.level < this.threshold) return;
    const times = this.shown.get(readable.msg) ?? 0;
    if (times >= SHOWN_PER_MESSAGE) {
      const hidden = this.hidden.get(readable.msg) ?? { level: readable.label, count: 0 };
      hidden.count++;
      this.hidden.set(readable.msg, hidden);
      return;
    }
    this.shown.set(readable.msg, times + 1);
    this.show(readable.text);
  }

  private show(text: string): void {
    // Above the bar, written with its next redraw; without one, at once.
    if (this.bar && this.multibar) this.multibar.log(fitTo(text, process.stderr.columns));
    else this.write(`${text}\n`);
  }
}

/**
 * The line in rows of the terminal's width: the bar turns the terminal's own wrapping off
 * (a wrapped bar could not be redrawn in place), which would cut a long line short.
 */
export function fitTo(text: string, columns: number | undefined): string {
  const width = columns && columns > 20 ? columns : 80;
  const rows: string[] = [];
  for (let i = 0; i < text.length; i += width) rows.push(text.slice(i, i + width));
  return `${rows.join('\n')}\n`;
}
