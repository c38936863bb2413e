import { describe, expect, it } from 'vitest';
import { fitTo } from '../../src/commands/scan-terminal.js';
import { readableLogLine } from '../../src/logger.js';

// The log as a person reads it on a terminal while `scan` draws its bar (scan-terminal.ts).

describe('readableLogLine', () => {
  it.each([
    [
      { level: 40, time: 't', service: 'kyc-monitor', customerId: 'cust-1', reason: 'timeout', err: 'timed out', msg: 'customer check failed' },
      'warning: customer check failed (customerId=cust-1, reason=timeout, err=timed out)',
    ],
    [{ level: 50, time: 't', service: 'kyc-monitor', err: { type: 'Error', message: 'boom\n  at x', stack: 'Error: boom\n  at x' }, msg: 'alert delivery failed' }, 'error: alert delivery failed (err=boom at x)'],
    [{ level: 30, time: 't', service: 'kyc-monitor', msg: 'scan completed' }, 'info: scan completed'],
    [{ level: 40, time: 't', msg: 'odd', value: { a: [1, 2] } }, 'warning: odd (value={"a":[1,2]})'],
  ])('%j', (entry, text) => {
    expect(readableLogLine(JSON.stringify(entry))?.text).toBe(text);
  });

  it('neutralises what a terminal would act on, and bounds long values', () => {
    const line = readableLogLine(JSON.stringify({ level: 40, msg: 'm', err: `\u001b[2J${'x'.repeat(500)}` }));
    expect(line?.text).not.toContain('\u001b');
    expect(line?.text).toContain('\\u001b[2J');
    expect(line?.text.length).toBeLessThan(260);
  });

  it('leaves a line that is not a log entry to the caller', () => {
    expect(readableLogLine('not json')).toBeNull();
    expect(readableLogLine('{"msg":"no level"}')).toBeNull();
  });
});

describe('fitTo', () => {
  it('cuts a long line into rows of the terminal width, ending with a line break', () => {
    expect(fitTo('a'.repeat(50), 30)).toBe(`${'a'.repeat(30)}\n${'a'.repeat(20)}\n`);
    expect(fitTo('short', 30)).toBe('short\n');
    expect(fitTo('b'.repeat(90), undefined)).toBe(`${'b'.repeat(80)}\n${'b'.repeat(10)}\n`);
  });
});
