import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_SECTIONS, ConfigError, configVariables, parseConfig, type Env } from '../../src/config.js';
import { COMMAND_SECTIONS } from '../../src/commands/sections.js';
import { Secrets } from '../../src/secrets.js';

const base: Env = { CYREXA_TENANT_ID: 'tenant', CYREXA_ACCESS_TOKEN: 'static-token-value', ALERT_TO: 'compliance@example.com' };

function problems(env: Env, sections = ALL_SECTIONS): string[] {
  try {
    parseConfig(env, sections);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  it('applies the SPEC defaults', () => {
    const config = parseConfig(base, ALL_SECTIONS);
    expect(config.database.url).toBe('postgresql://postgres@127.0.0.1:5432/kyc_monitor');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', queuePrefix: 'kyc-monitor', connectTimeoutMs: 10_000 });
    expect(config.cyrexa).toMatchObject({ baseUrl: 'https://gateway.cyrexa.com/customer/1.0.0', timeoutMs: 10_000, maxRps: 10, tokenHeader: undefined });
    expect(config.scan).toEqual({ checkConcurrency: 20, leaseMs: 30_000, queueLockMs: 20_000, staleAfterMs: 72 * 3_600_000, schedule: { kind: 'cron', pattern: '0 6 * * *', timezone: 'UTC' } });
    expect(config.rules).toEqual({ statuses: ['expired', 'declined'], onBaseline: true, expiryNames: ['expiry', 'expirydate', 'expirationdate', 'expiration', 'expires', 'expireson', 'validuntil', 'validto', 'dateofexpiry'], timeZone: 'UTC', warningDays: { fallback: [30, 7], byPurpose: new Map() }, time: { origin: 0, scale: 1 } });
    expect(config.mail).toMatchObject({ smtp: { url: 'smtp://127.0.0.1:1025', requireTls: false }, from: 'kyc-monitor@localhost', to: ['compliance@example.com'], opsTo: ['compliance@example.com'], batchSeconds: 60 });
    expect(config.http.port).toBe(8080);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('checks only the sections a command needs', () => {
    expect(problems({}, ['database'])).toEqual([]);
    expect(problems({}, ['mail'])).toEqual(['ALERT_TO is required: comma-separated recipients of alert emails']);
  });

  it('reports every problem at once, each naming its variable', () => {
    const found = problems({ CHECK_CONCURRENCY: 'lots', SCAN_CRON: 'every day', SCAN_TIMEZONE: 'Mars/Olympus', DATABASE_URL: 'not a url', HTTP_PORT: '70000', ALERT_ON_BASELINE: 'maybe' });
    const names = ['CYREXA_TENANT_ID', 'CYREXA_ACCESS_TOKEN', 'ALERT_TO', 'CHECK_CONCURRENCY', 'SCAN_CRON', 'SCAN_TIMEZONE', 'DATABASE_URL', 'HTTP_PORT', 'ALERT_ON_BASELINE'];
    for (const name of names) expect(found.some((p) => p.startsWith(name)), `${name} in ${found.join(' | ')}`).toBe(true);
  });

  it('reads <NAME>_FILE with the trailing newline trimmed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kyc-config-'));
    const file = path.join(dir, 'token');
    writeFileSync(file, 'from-file-token\n');
    const config = parseConfig({ ...base, CYREXA_ACCESS_TOKEN: undefined, CYREXA_ACCESS_TOKEN_FILE: file }, ['cyrexa']);
    expect(config.cyrexa.auth).toEqual({ kind: 'static', accessToken: 'from-file-token' });
    expect(config.secrets).toContain('from-file-token');
  });

  it('refuses both X and X_FILE, and an unreadable file, without printing the secret', () => {
    const found = problems({ ...base, CYREXA_ACCESS_TOKEN_FILE: '/nonexistent/token', SMTP_URL_FILE: '/nonexistent/smtp' });
    expect(found).toContain('CYREXA_ACCESS_TOKEN and CYREXA_ACCESS_TOKEN_FILE are both set: set only one');
    expect(found.some((p) => p.startsWith('SMTP_URL_FILE: cannot read /nonexistent/smtp'))).toBe(true);
    expect(found.join('\n')).not.toContain('static-token-value');
  });

  it('never shows a secret URL in a problem', () => {
    const found = problems({ ...base, DATABASE_URL: 'mysql://user:hunter2secret@db/x', SMTP_URL: 'smtp://u:p4ssw0rd-smtp@[bad' });
    expect(found.join('\n')).not.toMatch(/hunter2secret|p4ssw0rd-smtp/);
    expect(found.some((p) => p.startsWith('DATABASE_URL must be a postgresql or postgres URL'))).toBe(true);
    expect(found).toContain('SMTP_URL is not a valid URL');
  });

  it('collects passwords of URLs as secrets', () => {
    const config = parseConfig({ ...base, DATABASE_URL: 'postgresql://app:db-pass-1234@db/kyc', SMTP_URL: 'smtps://u:smtp%21pass@mail:465' }, ALL_SECTIONS);
    expect(config.secrets).toEqual(expect.arrayContaining(['db-pass-1234', 'smtp!pass', 'static-token-value']));
  });

  it('takes client credentials as the alternative to a static token', () => {
    const config = parseConfig(
      { CYREXA_TENANT_ID: 't', CYREXA_TOKEN_URL: 'https://auth.example/token', CYREXA_CLIENT_ID: 'id', CYREXA_CLIENT_SECRET: 'client-secret-x' },
      ['cyrexa'],
    );
    expect(config.cyrexa.auth).toEqual({ kind: 'client-credentials', tokenUrl: 'https://auth.example/token', clientId: 'id', clientSecret: 'client-secret-x', scope: undefined });
    expect(problems({ CYREXA_TENANT_ID: 't', CYREXA_TOKEN_URL: 'https://a/t' }, ['cyrexa'])).toEqual([
      'CYREXA_CLIENT_ID is required when client credentials are used',
      'CYREXA_CLIENT_SECRET is required when client credentials are used',
    ]);
    expect(problems({ ...base, CYREXA_CLIENT_ID: 'x' }, ['cyrexa'])[0]).toMatch(/^CYREXA_ACCESS_TOKEN and CYREXA_TOKEN_URL/);
  });

  it('parses routes, statuses and fixed-interval schedules', () => {
    const config = parseConfig({ ...base, ALERT_ROUTES: 'KYB=kyb@x.io;KYC=kyc@x.io,lead@x.io', ALERT_STATUSES: 'expired, declined ,incomplete', SCAN_EVERY_SECONDS: '30', ALERT_ON_BASELINE: 'false' }, ALL_SECTIONS);
    expect([...config.mail.routes]).toEqual([['KYB', ['kyb@x.io']], ['KYC', ['kyc@x.io', 'lead@x.io']]]);
    expect(config.rules).toMatchObject({ statuses: ['expired', 'declined', 'incomplete'], onBaseline: false });
    expect(config.scan.schedule).toEqual({ kind: 'every', seconds: 30 });
    expect(problems({ ...base, ALERT_ROUTES: 'KYB:kyb@x.io' })[0]).toMatch(/^ALERT_ROUTES: entry 1/);
    expect(problems({ ...base, ALERT_TO: 'not-an-address' })[0]).toBe('ALERT_TO: "not-an-address" is not an email address');
  });

  describe('email addresses: a dot-atom local part only, nothing nodemailer would rewrite', () => {
    const rewritten = ['a(comment)b@x.io', 'x:y@x.io', 'a..b@x.io', '.a@x.io', 'a.@x.io', '"quoted"@x.io', '"a b"@x.io', 'a\\b@x.io', 'a[b]@x.io', 'a@b@x.io', 'a@x..io', 'a@-x.io', 'ü@x.io', 'a@[127.0.0.1]', `${'a'.repeat(65)}@x.io`];
    it.each(rewritten)('%s is a configuration error naming each variable', (address) => {
      for (const name of ['ALERT_TO', 'OPS_ALERT_TO', 'ALERT_FROM']) {
        const found = problems({ ...base, [name]: address }, ['mail']);
        expect(found.some((p) => p.startsWith(name)), `${name}: ${found.join(' | ')}`).toBe(true);
      }
      expect(problems({ ...base, ALERT_ROUTES: `KYB=${address}` }, ['mail'])[0]).toMatch(/^ALERT_ROUTES: entry 1 \(KYB\)/);
    });
    it.each(['a@x.io', 'first.last@x.io', "o'brien+kyc@x.io", 'a!#$%&*/=?^_`{|}~-z@x.io', 'ops@localhost', 'A.B@Sub.X-Y.io'])('%s is accepted', (address) => {
      expect(problems({ ...base, ALERT_TO: address, OPS_ALERT_TO: address, ALERT_FROM: address, ALERT_ROUTES: `KYB=${address}` }, ['mail'])).toEqual([]);
    });
  });

  describe('SMTP_URL and TLS for credentials', () => {
    it.each([
      ['smtp://127.0.0.1:1025', false],
      ['smtp://u:secret-pw@mail:587', true],
      ['smtp://u@mail:587', true],
      ['smtp://u:secret-pw@mail:587?requireTLS=false', false],
      ['smtp://u:secret-pw@mail:587?requireTLS=true', true],
      ['smtps://u:secret-pw@mail:465', false],
    ])('%s → STARTTLS required: %s', (url, required) => {
      expect(parseConfig({ ...base, SMTP_URL: url }, ['mail']).mail.smtp.requireTls).toBe(required);
    });
    it('rejects a requireTLS value other than true or false, without showing the URL', () => {
      const found = problems({ ...base, SMTP_URL: 'smtp://u:secret-pw@mail:587?requireTLS=maybe' }, ['mail']);
      expect(found).toEqual(['SMTP_URL: requireTLS must be true or false']);
    });
  });

  describe('acknowledging from the email (PUBLIC_URL, LINK_SECRET, WEB_PORT)', () => {
    const secret = 'l1nk-secret-0123456789-abcdefghijk';
    const links = { PUBLIC_URL: 'https://kyc.example.com/compliance/', LINK_SECRET: secret };

    it('is off unless both are set; WEB_PORT defaults to 8081', () => {
      const config = parseConfig(base, ALL_SECTIONS);
      expect(config.links).toBeNull();
      expect(config.web).toEqual({ port: 8081 });
    });

    it('is on with both: the URL without its trailing slash, the secret scrubbed from logs', () => {
      const config = parseConfig({ ...base, ...links }, ALL_SECTIONS);
      expect(config.links).toEqual({ publicUrl: 'https://kyc.example.com/compliance', secret });
      expect(config.secrets).toContain(secret);
      expect(new Secrets(config.secrets).scrub(`oops ${secret}`)).toBe('oops [REDACTED]');
    });

    it('reads LINK_SECRET_FILE, and refuses it beside LINK_SECRET', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'kyc-config-'));
      const file = path.join(dir, 'link-secret');
      writeFileSync(file, `${secret}\n`);
      expect(parseConfig({ ...base, PUBLIC_URL: links.PUBLIC_URL, LINK_SECRET_FILE: file }, ['links']).links).toEqual({ publicUrl: 'https://kyc.example.com/compliance', secret });
      expect(problems({ ...links, LINK_SECRET_FILE: file }, ['links'])).toEqual(['LINK_SECRET and LINK_SECRET_FILE are both set: set only one']);
      expect(problems({ PUBLIC_URL: links.PUBLIC_URL, LINK_SECRET_FILE: '/nonexistent/secret' }, ['links'])).toEqual(['LINK_SECRET_FILE: cannot read /nonexistent/secret (ENOENT)']);
    });

    it('names the missing one when only one is set', () => {
      expect(problems({ PUBLIC_URL: 'https://kyc.example.com' }, ['links'])).toEqual([
        'LINK_SECRET (or LINK_SECRET_FILE) is required when PUBLIC_URL is set: at least 32 characters that sign the case links',
      ]);
      expect(problems({ LINK_SECRET: secret }, ['links'])).toEqual(['PUBLIC_URL is required when LINK_SECRET is set: the address people open the case links at (https://kyc.example.com)']);
    });

    it('wants at least 32 characters of secret, and never prints it', () => {
      const short = 'too-short-secret-31-characters!';
      expect(short).toHaveLength(31);
      const found = problems({ ...links, LINK_SECRET: short }, ['links']);
      expect(found).toEqual(['LINK_SECRET must be at least 32 characters long (got 31)']);
      expect(found.join('\n')).not.toContain(short);
      expect(problems({ ...links, LINK_SECRET: `${short}x` }, ['links'])).toEqual([]);
    });

    it.each([
      ['kyc.example.com', 'PUBLIC_URL is not an absolute URL (got "kyc.example.com")'],
      ['/cases', 'PUBLIC_URL is not an absolute URL (got "/cases")'],
      ['ftp://kyc.example.com', 'PUBLIC_URL must be an http or https URL (got ftp:)'],
      ['javascript:alert(1)', 'PUBLIC_URL must be an http or https URL (got javascript:)'],
      ['https://kyc.example.com/?x=1', 'PUBLIC_URL must not have a query or fragment (got "https://kyc.example.com/?x=1")'],
      ['https://kyc.example.com/#top', 'PUBLIC_URL must not have a query or fragment (got "https://kyc.example.com/#top")'],
      ['https://user:pw@kyc.example.com', 'PUBLIC_URL must not hold a user name or password'],
    ])('refuses PUBLIC_URL %j', (url, problem) => {
      expect(problems({ ...links, PUBLIC_URL: url }, ['links'])).toEqual([problem]);
    });

    it('refuses a WEB_PORT equal to HTTP_PORT when the pages are on, naming both', () => {
      expect(problems({ ...base, ...links, HTTP_PORT: '9000', WEB_PORT: '9000' })).toEqual([
        "WEB_PORT (9000) must differ from HTTP_PORT (9000): the people's pages are never served beside the internal metrics",
      ]);
      expect(problems({ ...base, ...links, HTTP_PORT: '8081' })[0]).toMatch(/^WEB_PORT \(8081\) must differ from HTTP_PORT \(8081\)/);
      // Off, WEB_PORT serves nothing and may be anything.
      expect(problems({ ...base, HTTP_PORT: '9000', WEB_PORT: '9000' })).toEqual([]);
      expect(problems({ ...base, ...links, WEB_PORT: '0' })).toEqual(['WEB_PORT must be a whole number from 1 to 65535 (got "0")']);
    });

    it('is read by every command that sends alert emails, and listed in their --help', () => {
      for (const command of ['worker', 'scan', 'alerts flush'] as const) {
        expect(COMMAND_SECTIONS[command], command).toContain('links');
        expect(configVariables(COMMAND_SECTIONS[command]).flatMap((s) => s.variables)).toEqual(expect.arrayContaining(['PUBLIC_URL', 'LINK_SECRET[_FILE]']));
      }
      expect(configVariables(COMMAND_SECTIONS.worker).flatMap((s) => s.variables)).toContain('WEB_PORT');
      expect(configVariables(COMMAND_SECTIONS.scan).flatMap((s) => s.variables)).not.toContain('WEB_PORT');
    });
  });

  describe('REDIS_CONNECT_TIMEOUT_SECONDS', () => {
    it('is read with Redis, in whole seconds from 1 to 600', () => {
      expect(parseConfig({ ...base, REDIS_CONNECT_TIMEOUT_SECONDS: '2' }, ['redis']).redis.connectTimeoutMs).toBe(2_000);
      expect(problems({ ...base, REDIS_CONNECT_TIMEOUT_SECONDS: '0' }, ['redis'])).toEqual(['REDIS_CONNECT_TIMEOUT_SECONDS must be a whole number from 1 to 600 (got "0")']);
      expect(problems({ ...base, REDIS_CONNECT_TIMEOUT_SECONDS: '1.5' }, ['redis'])[0]).toMatch(/^REDIS_CONNECT_TIMEOUT_SECONDS must be a whole number/);
      expect(configVariables(COMMAND_SECTIONS.scan).flatMap((s) => s.variables)).toContain('REDIS_CONNECT_TIMEOUT_SECONDS');
    });
  });

  describe('delivery timing (ALERT_LEASE_SECONDS, ALERT_RETRY_*)', () => {
    it('defaults to a 90 s lease and retries from 30 s up to 1 h', () => {
      expect(parseConfig(base, ['mail']).mail).toMatchObject({ leaseSeconds: 90, retryBaseSeconds: 30, retryMaxSeconds: 3600 });
    });
    it('validates each, and a cap below the base', () => {
      expect(problems({ ...base, ALERT_LEASE_SECONDS: '0' }, ['mail'])[0]).toMatch(/^ALERT_LEASE_SECONDS must be a whole number from 2 to 3600/);
      expect(problems({ ...base, ALERT_RETRY_BASE_SECONDS: 'soon' }, ['mail'])[0]).toMatch(/^ALERT_RETRY_BASE_SECONDS must be a whole number/);
      expect(problems({ ...base, ALERT_RETRY_BASE_SECONDS: '600', ALERT_RETRY_MAX_SECONDS: '60' }, ['mail'])).toEqual(['ALERT_RETRY_MAX_SECONDS (60) must not be less than ALERT_RETRY_BASE_SECONDS (600)']);
    });
  });
});

describe('case follow-up (REMIND_EVERY_HOURS, ESCALATE_AFTER_HOURS, ESCALATE_TO)', () => {
  it('reminds daily by default, escalates never', () => {
    expect(parseConfig(base, ['mail']).mail.cases).toEqual({ remindEveryMs: 86_400_000, escalateAfterMs: 0, escalateTo: [] });
  });
  it('takes hours with fractions, 0 turning reminders off', () => {
    expect(parseConfig({ ...base, REMIND_EVERY_HOURS: '0.5', ESCALATE_AFTER_HOURS: '48', ESCALATE_TO: 'Head@Example.com' }, ['mail']).mail.cases).toEqual({
      remindEveryMs: 1_800_000,
      escalateAfterMs: 172_800_000,
      escalateTo: ['head@example.com'],
    });
    expect(parseConfig({ ...base, REMIND_EVERY_HOURS: '0' }, ['mail']).mail.cases.remindEveryMs).toBe(0);
  });
  it('names what is wrong', () => {
    expect(problems({ ...base, REMIND_EVERY_HOURS: 'daily' }, ['mail'])).toEqual(['REMIND_EVERY_HOURS must be a number of hours from 0 to 8760, fractions allowed (got "daily")']);
    expect(problems({ ...base, REMIND_EVERY_HOURS: '-1' }, ['mail'])[0]).toMatch(/^REMIND_EVERY_HOURS must be a number of hours/);
    expect(problems({ ...base, ESCALATE_AFTER_HOURS: '24' }, ['mail'])).toEqual(['ESCALATE_TO is required with ESCALATE_AFTER_HOURS: who is told about cases nobody acknowledged']);
    expect(problems({ ...base, ESCALATE_TO: 'x@example.com' }, ['mail'])[0]).toMatch(/^ESCALATE_TO is set but ESCALATE_AFTER_HOURS is not/);
    expect(problems({ ...base, ESCALATE_AFTER_HOURS: '24', ESCALATE_TO: 'not an address' }, ['mail'])[0]).toMatch(/^ESCALATE_TO: /);
  });
});

describe('expiry dates (EXPIRY_METADATA_NAMES)', () => {
  it('reads names as metadata keys: any case, spaces, _ and - ignored', () => {
    expect(parseConfig({ ...base, EXPIRY_METADATA_NAMES: 'Valid Until, valid_until,Ablaufdatum', SCAN_TIMEZONE: 'Europe/Berlin' }, ['rules']).rules).toMatchObject({ expiryNames: ['validuntil', 'ablaufdatum'], timeZone: 'Europe/Berlin' });
  });
  it('refuses an empty list and names that are not names', () => {
    expect(problems({ ...base, EXPIRY_METADATA_NAMES: ' , ' }, ['rules'])[0]).toMatch(/^EXPIRY_METADATA_NAMES must list at least one metadata name/);
    expect(problems({ ...base, EXPIRY_METADATA_NAMES: 'expiry,valid"until' }, ['rules'])).toEqual([`EXPIRY_METADATA_NAMES: "valid"until" is not a metadata name`]);
  });
});

describe('summary email (SUMMARY_CRON)', () => {
  it('is weekly on Monday at 08:00 in SCAN_TIMEZONE by default, off with "off"', () => {
    expect(parseConfig(base, ['mail']).mail.summary).toEqual({ pattern: '0 8 * * 1', timezone: 'UTC' });
    expect(parseConfig({ ...base, SCAN_TIMEZONE: 'Europe/Berlin', SUMMARY_CRON: '0 18 * * 5' }, ['mail']).mail.summary).toEqual({ pattern: '0 18 * * 5', timezone: 'Europe/Berlin' });
    expect(parseConfig({ ...base, SUMMARY_CRON: 'OFF' }, ['mail']).mail.summary).toBeNull();
  });
  it('names a bad pattern', () => {
    expect(problems({ ...base, SUMMARY_CRON: 'weekly' }, ['mail'])[0]).toMatch(/^SUMMARY_CRON is not a valid cron expression or "off" \(got "weekly"/);
  });
});

describe('expiry warnings (EXPIRY_WARNING_DAYS)', () => {
  it('30 and 7 days by default, per purpose, or off', () => {
    expect(parseConfig({ ...base, EXPIRY_WARNING_DAYS: 'KYB=90,30;*=14' }, ['rules']).rules.warningDays).toEqual({ fallback: [14], byPurpose: new Map([['KYB', [90, 30]]]) });
    expect(parseConfig({ ...base, EXPIRY_WARNING_DAYS: '0' }, ['rules']).rules.warningDays).toEqual({ fallback: [], byPurpose: new Map() });
  });
  it('names what is wrong', () => {
    expect(problems({ ...base, EXPIRY_WARNING_DAYS: '30,soon' }, ['rules'])[0]).toMatch(/^EXPIRY_WARNING_DAYS: "soon" is not a number of days/);
  });
});

describe('time for demos (TIME_SCALE, TIME_ORIGIN)', () => {
  it('is real time by default, and runs faster from the origin the sandbox printed', () => {
    expect(parseConfig(base, ['rules']).rules.time).toEqual({ origin: 0, scale: 1 });
    expect(parseConfig({ ...base, TIME_SCALE: '1440', TIME_ORIGIN: '2026-11-26T09:00:00.000Z' }, ['rules']).rules.time).toEqual({ origin: Date.parse('2026-11-26T09:00:00Z'), scale: 1440 });
  });
  it.each([
    [{ TIME_SCALE: 'fast' }, /^TIME_SCALE must be a number above 0 and at most 10000000 \(1 is real time; got "fast"\)$/],
    [{ TIME_SCALE: '0', TIME_ORIGIN: '2026-11-26T09:00:00Z' }, /^TIME_SCALE must be a number above 0/],
    [{ TIME_SCALE: '1440' }, /^TIME_ORIGIN is required with TIME_SCALE/],
    [{ TIME_SCALE: '1440', TIME_ORIGIN: 'this morning' }, /^TIME_ORIGIN must be an ISO 8601 date-time with its offset, e\.g\. .* \(got "this morning"\)$/],
  ])('names what is wrong in %j', (env, message) => {
    expect(problems({ ...base, ...env }, ['rules'])).toEqual([expect.stringMatching(message)]);
  });
});
