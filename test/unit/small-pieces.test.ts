import { describe, expect, it } from 'vitest';
import { customerIdProblem, isValidCustomerId } from '../../src/domain/customer-id.js';
import { recipientsFor, recipientsKey } from '../../src/domain/recipients.js';
import { classifySmtpError } from '../../src/deliver/mailer.js';
import { Secrets } from '../../src/secrets.js';
import { parseConfig } from '../../src/config.js';
import { isDatabaseUnavailable } from '../../src/store/unavailable.js';

describe('customer ids (SPEC §3)', () => {
  it.each(['a', 'A1', '0', 'cust-000001', 'a.b_c-d', 'x'.repeat(128)])('accepts %s', (id) => expect(isValidCustomerId(id)).toBe(true));
  it.each(['', '..', '.a', '-a', '_a', '%2e%2e', 'a/b', 'x?y#', 'a b', 'x'.repeat(129), 'a\u0000b', 'a\nb', 'é', 'a%20b', 'x'.repeat(500), 'bad\u0001id', 'new\nline', 'tab\tid', '-rf', ' leading', 'é-accent'])('rejects %j', (id) => {
    expect(isValidCustomerId(id)).toBe(false);
    expect(customerIdProblem(id)).not.toBeNull();
  });
  it('describes control characters without printing them', () => {
    expect(customerIdProblem('a\u0007b')).toBe('contains a control character (U+0007) (allowed: letters, digits, _ . -)');
  });
});

describe('CYREXA_MAX_RETRY_AFTER_SECONDS', () => {
  const env = { CYREXA_TENANT_ID: 't', CYREXA_ACCESS_TOKEN: 'token-value' };
  it('defaults to 60 s and takes whole seconds', () => {
    expect(parseConfig(env, ['cyrexa']).cyrexa.maxRetryAfterMs).toBe(60_000);
    expect(parseConfig({ ...env, CYREXA_MAX_RETRY_AFTER_SECONDS: '2' }, ['cyrexa']).cyrexa.maxRetryAfterMs).toBe(2_000);
  });
  it.each(['-1', '1.5', 'soon', '3601'])('refuses %j naming the variable', (value) => {
    expect(() => parseConfig({ ...env, CYREXA_MAX_RETRY_AFTER_SECONDS: value }, ['cyrexa'])).toThrow(/CYREXA_MAX_RETRY_AFTER_SECONDS must be a whole number from 0 to 3600/);
  });
});

describe('recipients', () => {
  it('routes by purpose and falls back to ALERT_TO', () => {
    const routes = new Map([['KYB', ['kyb@x.io']]]);
    expect(recipientsFor('KYB', routes, ['all@x.io'])).toEqual(['kyb@x.io']);
    expect(recipientsFor('PEP&SANCTION', routes, ['all@x.io'])).toEqual(['all@x.io']);
    expect(recipientsKey(['b@x', 'a@x'])).toBe(recipientsKey(['a@x', 'b@x']));
  });
});

describe('SMTP error classification', () => {
  it.each([
    [{ responseCode: 451, code: 'EMESSAGE' }, 'unavailable', false],
    [{ responseCode: 421, code: 'EENVELOPE' }, 'unavailable', false],
    [{ code: 'ECONNECTION' }, 'unavailable', false],
    [{ code: 'ETIMEDOUT' }, 'unavailable', false],
    [{ responseCode: 550, code: 'EENVELOPE' }, 'refused', true],
    [{ responseCode: 554, code: 'EMESSAGE' }, 'refused', true],
    [{ responseCode: 535, code: 'EAUTH' }, 'authentication', false],
    [{ code: 'EABORT' }, 'aborted', false],
    [{ code: 'ETLS', command: 'STARTTLS', responseCode: 502, requireTls: true }, 'tls-required', false],
    [{ code: 'ETLS', command: 'STARTTLS', responseCode: 502 }, 'unavailable', false],
  ])('%j → %s', ({ requireTls, ...fields }: { requireTls?: boolean; code?: string; responseCode?: number; command?: string }, reason, permanent) => {
    const result = classifySmtpError(Object.assign(new Error('server said no\nsecond line'), fields), undefined, { requireTls });
    expect(result).toMatchObject({ reason, permanent });
    expect(result.error).not.toContain('second line');
  });
});

describe('secret scrubbing', () => {
  it('removes raw, URL-encoded, form-encoded and JSON-escaped secrets from a line', () => {
    const secrets = new Secrets(['s3cr3t/"x y', 'tok']);
    const s = 's3cr3t/"x y';
    expect(secrets.scrub(`a ${s} b ${encodeURIComponent(s)} c ${JSON.stringify(s)} d ${new URLSearchParams({ s }).toString()}`)).toBe(
      'a [REDACTED] b [REDACTED] c "[REDACTED]" d s=[REDACTED]',
    );
    expect(new Secrets([]).scrub('tok en')).toBe('tok en');
  });
  it('scrubs secrets learnt at run time, longest first', () => {
    const secrets = new Secrets(['abcd']);
    secrets.remember('abcdefgh');
    expect(secrets.scrub('x abcdefgh y abcd')).toBe('x [REDACTED] y [REDACTED]');
  });
});

describe('isDatabaseUnavailable: worth trying again shortly', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    ['ECONNREFUSED', coded('ECONNREFUSED')],
    ['57P01 admin shutdown', coded('57P01')],
    ['57P03 cannot connect now', coded('57P03')],
    ['08006 connection failure', coded('08006')],
    ['53300 too many connections', coded('53300')],
    ['pg: Connection terminated', new Error('Connection terminated unexpectedly')],
  ])('%s: yes', (_name, error) => expect(isDatabaseUnavailable(error)).toBe(true));
  it.each([
    ['22001 value too long', coded('22001')],
    ['23505 unique violation', coded('23505')],
    ['42P01 undefined table', coded('42P01')],
    ['an error without a code', new Error('boom')],
  ])('%s: no', (_name, error) => expect(isDatabaseUnavailable(error)).toBe(false));
});

describe('an expiry warning in words', () => {
  const warning = { previousStatus: 'verified', newStatus: 'expiring', baseline: false, expiresOn: '2026-12-13', detectedAt: new Date('2026-11-26T23:30:00Z') };
  it.each([
    // Counted by the check (Berlin, already the 27th; or a demo's faster clock): as counted.
    [16, 'Expires on 2026-12-13 (in 16 days), verified now'],
    [1, 'Expires on 2026-12-13 (tomorrow), verified now'],
    [0, 'Expires on 2026-12-13 (today), verified now'],
    // Warnings recorded before the check counted them: from the UTC day it was detected.
    [null, 'Expires on 2026-12-13 (in 17 days), verified now'],
  ])('with %j days left as the check counted them: %s', async (daysLeft, words) => {
    const { whatHappened } = await import('../../src/domain/alert-wording.js');
    expect(whatHappened({ ...warning, daysLeft }).join('')).toBe(words);
  });
});
