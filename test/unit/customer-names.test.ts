import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, MAX_INSTRUCTIONS_LENGTH, parseConfig, type Env } from '../../src/config.js';
import { customerUrl, renderAlertEmail, type AlertView } from '../../src/domain/alert-email.js';
import { CachedCustomerNames, type FetchName } from '../../src/deliver/customer-names.js';

// Who the customer is in an alert email (issue 11, item 3): rendering, settings, and the bounded
// cache of names (its fetch is the seam: the real one is tested against the sandbox).

const base: Env = { ALERT_TO: 'compliance@example.com' };
const log = pino({ level: 'silent' });

function mailProblems(env: Env): string[] {
  try {
    parseConfig({ ...base, ...env }, ['mail']);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

const alert = (customerId: string, customerName?: string | null): AlertView => ({
  detectedAt: new Date('2026-11-25T06:00:00Z'),
  customerId,
  purpose: 'KYC',
  documentType: 'Passport',
  documentName: 'passport.pdf',
  previousStatus: 'verified',
  newStatus: 'expired',
  verificationResponse: null,
  baseline: false,
  ...(customerName !== undefined ? { customerName } : {}),
});
const now = new Date('2026-11-25T06:01:00Z');

describe('CUSTOMER_URL_TEMPLATE and ALERT_INSTRUCTIONS', () => {
  it('are optional', () => {
    expect(parseConfig(base, ['mail']).mail).toMatchObject({ customerUrlTemplate: undefined, instructions: undefined });
  });

  it('take an http(s) URL with {id}, and plain text of bounded length', () => {
    const mail = parseConfig({ ...base, CUSTOMER_URL_TEMPLATE: 'https://backoffice.example/customers/{id}', ALERT_INSTRUCTIONS: ' Call the customer.\r\nThen note it. ' }, ['mail']).mail;
    expect(mail.customerUrlTemplate).toBe('https://backoffice.example/customers/{id}');
    expect(mail.instructions).toBe('Call the customer.\nThen note it.');
  });

  it.each([
    ['https://backoffice.example/customers', 'CUSTOMER_URL_TEMPLATE must contain {id}'],
    ['javascript:alert({id})', 'CUSTOMER_URL_TEMPLATE must be an http or https URL'],
    ['ftp://files.example/{id}', 'CUSTOMER_URL_TEMPLATE must be an http or https URL'],
    ['backoffice/{id}', 'CUSTOMER_URL_TEMPLATE is not a valid URL'],
  ])('refuses CUSTOMER_URL_TEMPLATE=%s', (template, problem) => {
    expect(mailProblems({ CUSTOMER_URL_TEMPLATE: template }).join(' | ')).toContain(problem);
  });

  it('refuses instructions that are too long or hold control characters', () => {
    expect(mailProblems({ ALERT_INSTRUCTIONS: 'x'.repeat(MAX_INSTRUCTIONS_LENGTH + 1) })).toEqual([`ALERT_INSTRUCTIONS is ${MAX_INSTRUCTIONS_LENGTH + 1} characters long: at most ${MAX_INSTRUCTIONS_LENGTH}`]);
    expect(mailProblems({ ALERT_INSTRUCTIONS: 'see \u001b[2Jhere' })).toEqual(['ALERT_INSTRUCTIONS may hold text and line breaks only, no control characters']);
  });
});

describe('the email with names, links and instructions', () => {
  it('is the same email as before without them', () => {
    const plain = renderAlertEmail([alert('cust-1')], now);
    expect(renderAlertEmail([alert('cust-1', null)], now, {})).toEqual(plain);
  });

  it('shows the name over the id, links to the customer page (id percent-encoded), and leads with the instructions', () => {
    const email = renderAlertEmail([alert('cust-1', 'Ada <Berg>'), alert('cust-2')], now, { customerUrlTemplate: 'https://bo.example/c/{id}?from=kyc', instructions: 'Ask for a new <document>.\n\nThen log it & close.' });
    expect(email.text).toContain('- Customer Ada <Berg> (cust-1)\n  Customer page: https://bo.example/c/cust-1?from=kyc\n');
    expect(email.text).toContain('- Customer cust-2\n  Customer page: https://bo.example/c/cust-2?from=kyc\n');
    expect(email.text).toContain('WHAT TO DO\n\nAsk for a new <document>.\n\nThen log it & close.\n');
    expect(email.html).toContain('<a href="https://bo.example/c/cust-1?from=kyc" style="color:#1d4ed8">Ada &lt;Berg&gt;</a>');
    expect(email.html).toContain('<strong><a href="https://bo.example/c/cust-2?from=kyc" style="color:#1d4ed8">cust-2</a></strong>');
    expect(email.html).toContain('<p style="margin:4px 0 0">Ask for a new &lt;document&gt;.</p><p style="margin:4px 0 0">Then log it &amp; close.</p>');
    expect(email.attachment.content).not.toContain('Ada');
  });

  it('percent-encodes the id into the template, and escapes the link in HTML', () => {
    expect(customerUrl('https://bo.example/c/{id}?q={id}', 'a/b c&d')).toBe('https://bo.example/c/a%2Fb%20c%26d?q=a%2Fb%20c%26d');
    const email = renderAlertEmail([alert('cust-1')], now, { customerUrlTemplate: 'https://bo.example/c/{id}?a=1&b="2"' });
    expect(email.html).toContain('href="https://bo.example/c/cust-1?a=1&amp;b=&quot;2&quot;"');
  });

  it('folds a name to one line', () => {
    expect(renderAlertEmail([alert('cust-1', 'Ada\r\nBerg')], now).text).toContain('- Customer Ada Berg (cust-1)\n');
  });
});

describe('CachedCustomerNames', () => {
  const names = (found: Record<string, string>) => {
    const asked: string[] = [];
    const fetchName: FetchName = (id) => {
      asked.push(id);
      const name = found[id];
      return name === undefined ? Promise.reject(Object.assign(new Error('404'), { reason: 'http-404' })) : Promise.resolve(name);
    };
    return { asked, fetchName };
  };
  const unbounded = () => new AbortController().signal;

  it('asks once per customer, keeps what it found and what failed', async () => {
    const { asked, fetchName } = names({ a: 'Ada', b: 'Bruno' });
    const cache = new CachedCustomerNames(fetchName, log);
    expect(await cache.lookup(['a', 'b', 'a', 'x'], unbounded())).toEqual(new Map([['a', 'Ada'], ['b', 'Bruno']]));
    expect(await cache.lookup(['a', 'x'], unbounded())).toEqual(new Map([['a', 'Ada']]));
    expect(asked.sort()).toEqual(['a', 'b', 'x']);
  });

  it('asks again when a name or a failure is old enough', async () => {
    let clock = 0;
    const { asked, fetchName } = names({ a: 'Ada' });
    const cache = new CachedCustomerNames(fetchName, log, { nameTtlMs: 100, failureTtlMs: 10, now: () => clock });
    await cache.lookup(['a', 'x'], unbounded());
    clock = 50;
    await cache.lookup(['a', 'x'], unbounded());
    clock = 150;
    await cache.lookup(['a', 'x'], unbounded());
    expect(asked).toEqual(['a', 'x', 'x', 'a', 'x']);
  });

  it('holds at most maxEntries names, dropping the least recently used', async () => {
    const { asked, fetchName } = names({ a: 'Ada', b: 'Bruno', c: 'Chiara' });
    const cache = new CachedCustomerNames(fetchName, log, { maxEntries: 2 });
    await cache.lookup(['a', 'b'], unbounded());
    await cache.lookup(['a'], unbounded());
    await cache.lookup(['c'], unbounded());
    expect(cache.size).toBe(2);
    await cache.lookup(['a', 'b'], unbounded());
    expect(asked).toEqual(['a', 'b', 'c', 'b']);
  });

  it('returns what it has when its time is up, the lookups still running given up', async () => {
    const signals: AbortSignal[] = [];
    const cache = new CachedCustomerNames(
      (id, signal) => {
        signals.push(signal);
        if (id === 'fast') return Promise.resolve('Fast Ltd');
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { reason: 'timeout' })), { once: true }));
      },
      log,
      { concurrency: 2 },
    );
    const bound = new AbortController();
    const lookup = cache.lookup(['fast', 'slow-1', 'slow-2', 'slow-3'], bound.signal);
    // Two in flight at once: the fast one done, the second slow one started, the bound comes.
    await new Promise((resolve) => setImmediate(resolve));
    bound.abort();
    expect(await lookup).toEqual(new Map([['fast', 'Fast Ltd']]));
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(signals.length).toBeLessThan(4);
  });
});
