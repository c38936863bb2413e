import { DEFAULT_EXPIRY_METADATA_NAMES, metadataKey } from './domain/expiry.js';
import { MAX_TIME_SCALE, parseTimeOrigin, parseTimeScale, REAL_TIME, type TimeScale } from './domain/time-scale.js';
import { NO_WARNINGS, parseWarningDays, type WarningDays } from './domain/expiry-warnings.js';
import { readFileSync } from 'node:fs';
import { CronExpressionParser } from 'cron-parser';
import { addressProblem, isValidPurposeKey, parseRecipients, type AlertRoutes } from './domain/recipients.js';
import { parseSmtpUrl, type SmtpSettings } from './domain/smtp-url.js';
import { MIN_LINK_SECRET_LENGTH, type CaseLinkSettings } from './domain/case-links.js';

import type { ScanSchedule } from './domain/schedule.js';

export type { ScanSchedule };

// The only module that reads the environment. parseConfig takes it as a parameter, checks only
// the sections a command needs, and reports every problem at once.

export type Env = Readonly<Record<string, string | undefined>>;

export interface DatabaseConfig {
  url: string;
}
export interface RedisConfig {
  url: string;
  queuePrefix: string;
  /** How long `scan` and `worker` wait at start for Redis before they exit 1 (REDIS_CONNECT_TIMEOUT_SECONDS). */
  connectTimeoutMs: number;
}
export type CyrexaAuth =
  | { kind: 'static'; accessToken: string }
  | { kind: 'client-credentials'; tokenUrl: string; clientId: string; clientSecret: string; scope: string | undefined };
export interface CyrexaConfig {
  baseUrl: string;
  tenantId: string;
  auth: CyrexaAuth;
  /** Value of the `token` header; undefined means "the current access token". */
  tokenHeader: string | undefined;
  timeoutMs: number;
  maxRps: number;
  /** Longest Retry-After honoured before a retry. */
  maxRetryAfterMs: number;
  /** First wait before retrying a transient failure; each retry waits about twice the last. */
  retryBaseMs: number;
}
export interface ScanConfig {
  checkConcurrency: number;
  schedule: ScanSchedule;
  /** A running scan no process renewed for this long is taken over or abandoned. */
  leaseMs: number;
  /** BullMQ job lock: a dead worker's job goes to another replica this long after its last renewal. */
  queueLockMs: number;
  /** STALE_AFTER_HOURS in ms (0: off). */
  staleAfterMs: number;
}
export interface AlertRulesConfig {
  statuses: readonly string[];
  onBaseline: boolean;
  /** EXPIRY_METADATA_NAMES, as `metadataKey` gives them. */
  expiryNames: readonly string[];
  /** SCAN_TIMEZONE: the calendar of expiry dates. */
  timeZone: string;
  /** EXPIRY_WARNING_DAYS. */
  warningDays: WarningDays;
  /** TIME_SCALE and TIME_ORIGIN: the clock expiry dates are counted on (real time unless a demo speeds it up with the sandbox). */
  time: TimeScale;
}
export interface MailConfig {
  smtp: SmtpSettings;
  from: string;
  to: readonly string[];
  routes: AlertRoutes;
  opsTo: readonly string[];
  batchSeconds: number;
  /** How long a delivery pass holds the alerts it claimed; one email's send must fit in it. */
  leaseSeconds: number;
  /** Retry backoff of alerts refused for now: base × 2^attempts, at most max. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** Where a customer is shown in the team's own tools: `{id}` stands for the percent-encoded id (CUSTOMER_URL_TEMPLATE). */
  customerUrlTemplate: string | undefined;
  /** The team's own "what to do" paragraph in every alert email (ALERT_INSTRUCTIONS). */
  instructions: string | undefined;
  /** Cases (SPEC §10): reminders and escalation. */
  cases: CaseFollowUpConfig;
  /** The summary email (SPEC §12): SUMMARY_CRON in SCAN_TIMEZONE; null when `off`. */
  summary: { pattern: string; timezone: string } | null;
}

export interface CaseFollowUpConfig {
  /** REMIND_EVERY_HOURS in ms; 0: no reminders. */
  remindEveryMs: number;
  /** ESCALATE_AFTER_HOURS in ms; 0: no escalation. */
  escalateAfterMs: number;
  /** ESCALATE_TO. */
  escalateTo: readonly string[];
}
export interface HttpConfig {
  port: number;
}
/**
 * Acknowledging from the email (PUBLIC_URL, LINK_SECRET): each case in an email links to its
 * page. Null when off (neither is set).
 */
export type LinksConfig = CaseLinkSettings | null;
/** The people's pages the worker serves when the links are on (WEB_PORT). */
export interface WebConfig {
  port: number;
}

export interface Config {
  logLevel: string;
  database: DatabaseConfig;
  redis: RedisConfig;
  cyrexa: CyrexaConfig;
  scan: ScanConfig;
  rules: AlertRulesConfig;
  mail: MailConfig;
  http: HttpConfig;
  links: LinksConfig;
  web: WebConfig;
  /** Every secret value configured, so that log output can be scrubbed of them. */
  secrets: readonly string[];
}

export type Section = Exclude<keyof Config, 'logLevel' | 'secrets'>;
export type ConfigFor<S extends Section> = Pick<Config, S | 'logLevel' | 'secrets'>;

export const ALL_SECTIONS: readonly Section[] = ['database', 'redis', 'cyrexa', 'scan', 'rules', 'mail', 'http', 'links', 'web'];

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const DEFAULTS = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/kyc_monitor',
  REDIS_URL: 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: 'kyc-monitor',
  REDIS_CONNECT_TIMEOUT_SECONDS: '10',
  CYREXA_BASE_URL: 'https://gateway.cyrexa.com/customer/1.0.0',
  CYREXA_TIMEOUT_MS: '10000',
  CYREXA_MAX_RPS: '10',
  CYREXA_MAX_RETRY_AFTER_SECONDS: '60',
  CYREXA_RETRY_BASE_MS: '500',
  CHECK_CONCURRENCY: '20',
  SCAN_CRON: '0 6 * * *',
  SCAN_TIMEZONE: 'UTC',
  SCAN_LEASE_SECONDS: '30',
  QUEUE_LOCK_SECONDS: '20',
  SMTP_URL: 'smtp://127.0.0.1:1025',
  ALERT_FROM: 'kyc-monitor@localhost',
  ALERT_STATUSES: 'expired,declined',
  ALERT_ON_BASELINE: 'true',
  ALERT_BATCH_SECONDS: '60',
  ALERT_LEASE_SECONDS: '90',
  ALERT_RETRY_BASE_SECONDS: '30',
  ALERT_RETRY_MAX_SECONDS: '3600',
  REMIND_EVERY_HOURS: '24',
  SUMMARY_CRON: '0 8 * * 1',
  STALE_AFTER_HOURS: '72',
  EXPIRY_WARNING_DAYS: '30,7',
  HTTP_PORT: '8080',
  WEB_PORT: '8081',
  LOG_LEVEL: 'info',
} as const satisfies Record<string, string>;

const SECRET_NAMES = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'SMTP_URL',
  'CYREXA_ACCESS_TOKEN',
  'CYREXA_TOKEN',
  'CYREXA_CLIENT_SECRET',
  'LINK_SECRET',
]);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads variables, resolving `<NAME>_FILE` for secrets, and collects problems instead of throwing. */
class Reader {
  readonly problems: string[] = [];
  readonly secrets = new Set<string>();
  /** Every variable read, by section, with whether it may be given as `<NAME>_FILE` (--help lists them). */
  readonly variables = new Map<string, Map<string, boolean>>();
  section = 'general';
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const direct = this.env[name];
    const fileVar = `${name}_FILE`;
    const fromFile = SECRET_NAMES.has(name) || name.endsWith('_TOKEN') || name.endsWith('_SECRET');
    const read = this.variables.get(this.section) ?? new Map<string, boolean>();
    this.variables.set(this.section, read.set(name, fromFile));
    const file = fromFile ? this.env[fileVar] : undefined;
    let value: string | undefined;
    if (file !== undefined && file !== '') {
      if (direct !== undefined && direct !== '') {
        this.problems.push(`${name} and ${fileVar} are both set: set only one`);
        return undefined;
      }
      try {
        value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        this.problems.push(`${fileVar}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        return undefined;
      }
    } else {
      value = direct === '' ? undefined : direct;
    }
    if (value !== undefined && SECRET_NAMES.has(name)) this.rememberSecret(name, value);
    return value;
  }

  private rememberSecret(name: string, value: string): void {
    if (name.endsWith('_URL')) {
      try {
        const password = new URL(value).password;
        if (password) {
          this.secrets.add(password);
          this.secrets.add(decodeURIComponent(password));
        }
      } catch {
        // reported by the URL check
      }
    } else if (value.length > 0) {
      this.secrets.add(value);
    }
  }

  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  required(name: string, what: string): string {
    const value = this.raw(name);
    if (value === undefined || value.trim() === '') {
      if (!this.problems.some((p) => p.startsWith(`${name} `) || p.startsWith(`${name}_FILE`))) {
        this.problems.push(`${name} is required: ${what}`);
      }
      return '';
    }
    return value;
  }

  int(name: string, fallback: string, min: number, max: number): number {
    const text = this.raw(name) ?? fallback;
    const value = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${text}")`);
      return Number(fallback);
    }
    return value;
  }

  url(name: string, fallback: string, protocols: readonly string[], secret = false): string {
    const text = this.raw(name) ?? fallback;
    try {
      const url = new URL(text);
      if (!protocols.includes(url.protocol)) {
        this.problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL (got ${url.protocol.replace(':', '')}:)`);
      }
    } catch {
      this.problems.push(secret ? `${name} is not a valid URL` : `${name} is not a valid URL (got "${text}")`);
    }
    return text;
  }

  /** Hours, fractions allowed (`0.5` is 30 minutes), from 0 to `max`; returned in milliseconds. */
  hours(name: string, fallback: string | undefined, max: number): number {
    const text = this.raw(name) ?? fallback;
    if (text === undefined || text.trim() === '') return 0;
    const value = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(value) || value > max) {
      this.problems.push(`${name} must be a number of hours from 0 to ${max}, fractions allowed (got "${text}")`);
      return fallback === undefined ? 0 : Number(fallback) * 3_600_000;
    }
    return Math.round(value * 3_600_000);
  }

  bool(name: string, fallback: string): boolean {
    const text = (this.raw(name) ?? fallback).trim().toLowerCase();
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no'].includes(text)) return false;
    this.problems.push(`${name} must be true or false (got "${text}")`);
    return fallback === 'true';
  }

  recipients(name: string, fallback?: string): string[] {
    const text = this.raw(name) ?? fallback;
    if (text === undefined) return [];
    const parsed = parseRecipients(text);
    if (!parsed.ok) {
      this.problems.push(`${name}: ${parsed.error}`);
      return [];
    }
    return parsed.value;
  }
}

function parseRoutes(reader: Reader, text: string | undefined): AlertRoutes {
  const routes = new Map<string, readonly string[]>();
  if (text === undefined || text.trim() === '') return routes;
  for (const [index, part] of text.split(';').entries()) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const purpose = eq < 0 ? '' : part.slice(0, eq).trim();
    if (eq < 0 || !isValidPurposeKey(purpose)) {
      reader.problems.push(`ALERT_ROUTES: entry ${index + 1} ("${part.trim()}") must look like PURPOSE=addr@x.io,addr2@x.io`);
      continue;
    }
    const recipients = parseRecipients(part.slice(eq + 1));
    if (!recipients.ok) {
      reader.problems.push(`ALERT_ROUTES: entry ${index + 1} (${purpose}): ${recipients.error}`);
      continue;
    }
    if (routes.has(purpose)) {
      reader.problems.push(`ALERT_ROUTES: purpose ${purpose} is listed twice`);
      continue;
    }
    routes.set(purpose, recipients.value);
  }
  return routes;
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function parseCyrexa(r: Reader): CyrexaConfig {
  const baseUrl = r.url('CYREXA_BASE_URL', DEFAULTS.CYREXA_BASE_URL, ['https:', 'http:']).replace(/\/+$/, '');
  const tenantId = r.required('CYREXA_TENANT_ID', 'the Cyrexa tenant id sent as the tenantId header');
  const accessToken = r.string('CYREXA_ACCESS_TOKEN');
  const tokenUrl = r.string('CYREXA_TOKEN_URL');
  const clientId = r.string('CYREXA_CLIENT_ID');
  const clientSecret = r.string('CYREXA_CLIENT_SECRET');
  const scope = r.string('CYREXA_TOKEN_SCOPE');
  let auth: CyrexaAuth = { kind: 'static', accessToken: '' };
  const oauthGiven = tokenUrl !== undefined || clientId !== undefined || clientSecret !== undefined;
  if (accessToken !== undefined && oauthGiven) {
    r.problems.push('CYREXA_ACCESS_TOKEN and CYREXA_TOKEN_URL/CYREXA_CLIENT_ID/CYREXA_CLIENT_SECRET are both set: choose a static token or client credentials');
  } else if (accessToken !== undefined) {
    auth = { kind: 'static', accessToken };
  } else if (oauthGiven) {
    for (const [name, value] of [['CYREXA_TOKEN_URL', tokenUrl], ['CYREXA_CLIENT_ID', clientId], ['CYREXA_CLIENT_SECRET', clientSecret]] as const) {
      if (value === undefined) r.problems.push(`${name} is required when client credentials are used`);
    }
    if (tokenUrl !== undefined) r.url('CYREXA_TOKEN_URL', tokenUrl, ['https:', 'http:']);
    auth = { kind: 'client-credentials', tokenUrl: tokenUrl ?? '', clientId: clientId ?? '', clientSecret: clientSecret ?? '', scope };
  } else if (!r.problems.some((p) => p.startsWith('CYREXA_ACCESS_TOKEN') || p.startsWith('CYREXA_CLIENT_SECRET'))) {
    r.problems.push('CYREXA_ACCESS_TOKEN is required (or CYREXA_TOKEN_URL, CYREXA_CLIENT_ID and CYREXA_CLIENT_SECRET for client credentials)');
  }
  return {
    baseUrl,
    tenantId,
    auth,
    tokenHeader: r.string('CYREXA_TOKEN'),
    timeoutMs: r.int('CYREXA_TIMEOUT_MS', DEFAULTS.CYREXA_TIMEOUT_MS, 100, 600_000),
    maxRps: r.int('CYREXA_MAX_RPS', DEFAULTS.CYREXA_MAX_RPS, 1, 100_000),
    maxRetryAfterMs: r.int('CYREXA_MAX_RETRY_AFTER_SECONDS', DEFAULTS.CYREXA_MAX_RETRY_AFTER_SECONDS, 0, 3_600) * 1000,
    retryBaseMs: r.int('CYREXA_RETRY_BASE_MS', DEFAULTS.CYREXA_RETRY_BASE_MS, 10, 60_000),
  };
}

function parseScan(r: Reader): ScanConfig {
  const checkConcurrency = r.int('CHECK_CONCURRENCY', DEFAULTS.CHECK_CONCURRENCY, 1, 1000);
  const leaseMs = r.int('SCAN_LEASE_SECONDS', DEFAULTS.SCAN_LEASE_SECONDS, 1, 3600) * 1000;
  const queueLockMs = r.int('QUEUE_LOCK_SECONDS', DEFAULTS.QUEUE_LOCK_SECONDS, 1, 3600) * 1000;
  const staleAfterMs = r.hours('STALE_AFTER_HOURS', DEFAULTS.STALE_AFTER_HOURS, MAX_FOLLOW_UP_HOURS);
  const every = r.string('SCAN_EVERY_SECONDS');
  const timezone = r.string('SCAN_TIMEZONE', DEFAULTS.SCAN_TIMEZONE) ?? DEFAULTS.SCAN_TIMEZONE;
  if (!isValidTimeZone(timezone)) r.problems.push(`SCAN_TIMEZONE is not a known IANA time zone (got "${timezone}")`);
  const mode = (r.string('SCAN_MODE', 'cron') ?? 'cron').trim();
  if (mode === 'continuous') {
    for (const name of ['SCAN_CRON', 'SCAN_EVERY_SECONDS']) {
      if (r.string(name) !== undefined) r.problems.push(`${name} is for SCAN_MODE=cron: with SCAN_MODE=continuous, customers are checked when due (CHECK_EVERY_HOURS, TICK_SECONDS)`);
    }
    const everyHours = r.int('CHECK_EVERY_HOURS', '24', 1, 8_760);
    const tickSeconds = r.int('TICK_SECONDS', '60', 1, 3_600);
    return { checkConcurrency, leaseMs, queueLockMs, staleAfterMs, schedule: { kind: 'continuous', tickSeconds, everyHours, timezone: isValidTimeZone(timezone) ? timezone : 'UTC' } };
  }
  if (mode !== 'cron') r.problems.push(`SCAN_MODE must be cron or continuous (got "${mode}")`);
  for (const name of ['CHECK_EVERY_HOURS', 'TICK_SECONDS']) {
    if (r.string(name) !== undefined) r.problems.push(`${name} is for SCAN_MODE=continuous (SCAN_MODE is ${mode === 'cron' ? 'cron, the default' : `"${mode}"`})`);
  }
  if (every !== undefined) {
    return { checkConcurrency, leaseMs, queueLockMs, staleAfterMs, schedule: { kind: 'every', seconds: r.int('SCAN_EVERY_SECONDS', every, 1, 31 * 86_400) } };
  }
  const pattern = r.string('SCAN_CRON', DEFAULTS.SCAN_CRON) ?? DEFAULTS.SCAN_CRON;
  try {
    CronExpressionParser.parse(pattern, { tz: isValidTimeZone(timezone) ? timezone : 'UTC' });
    if (pattern.trim().split(/\s+/).length < 5) throw new Error('too few fields');
  } catch (error) {
    r.problems.push(`SCAN_CRON is not a valid cron expression (got "${pattern}": ${(error as Error).message})`);
  }
  return { checkConcurrency, leaseMs, queueLockMs, staleAfterMs, schedule: { kind: 'cron', pattern, timezone } };
}

function parseRules(r: Reader): AlertRulesConfig {
  const text = r.string('ALERT_STATUSES', DEFAULTS.ALERT_STATUSES) ?? DEFAULTS.ALERT_STATUSES;
  const statuses = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (statuses.length === 0) r.problems.push('ALERT_STATUSES must list at least one status');
  for (const status of statuses) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(status)) r.problems.push(`ALERT_STATUSES: "${status}" is not a status name`);
  }
  const namesText = r.string('EXPIRY_METADATA_NAMES', DEFAULT_EXPIRY_METADATA_NAMES.join(',')) ?? '';
  const expiryNames = [...new Set(namesText.split(',').map(metadataKey).filter((n) => n !== ''))];
  if (expiryNames.length === 0) r.problems.push('EXPIRY_METADATA_NAMES must list at least one metadata name (the default reads expiry, expirydate, validuntil …)');
  for (const name of expiryNames) if (name.length > 64 || !/^[\p{L}\p{N}.:/]+$/u.test(name)) r.problems.push(`EXPIRY_METADATA_NAMES: "${name}" is not a metadata name`);
  const timeZone = r.string('SCAN_TIMEZONE', DEFAULTS.SCAN_TIMEZONE) ?? DEFAULTS.SCAN_TIMEZONE;
  const warnings = parseWarningDays(r.string('EXPIRY_WARNING_DAYS', DEFAULTS.EXPIRY_WARNING_DAYS) ?? '');
  if (!warnings.ok) r.problems.push(`EXPIRY_WARNING_DAYS: ${warnings.error} (e.g. 30,7 or KYB=90,30;KYC=30,7;*=30,7; empty or 0 for none)`);
  return {
    statuses,
    onBaseline: r.bool('ALERT_ON_BASELINE', DEFAULTS.ALERT_ON_BASELINE),
    expiryNames,
    timeZone: isValidTimeZone(timeZone) ? timeZone : 'UTC',
    warningDays: warnings.ok ? warnings.value : NO_WARNINGS,
    time: parseTime(r),
  };
}

/**
 * TIME_SCALE (default 1) and TIME_ORIGIN: for demos against the sandbox run with `--time-scale`
 * (which prints both), so that the monitor's "today" moves as fast as the sandbox's world.
 */
function parseTime(r: Reader): TimeScale {
  const text = (r.string('TIME_SCALE', '1') ?? '1').trim();
  const scale = parseTimeScale(text);
  if (scale === null || scale === 0) {
    r.problems.push(`TIME_SCALE must be a number above 0 and at most ${MAX_TIME_SCALE} (1 is real time; got "${text}")`);
    return REAL_TIME;
  }
  const originText = r.string('TIME_ORIGIN')?.trim();
  if (scale === 1) return originText === undefined ? REAL_TIME : { origin: REAL_TIME.origin, scale: 1 };
  if (originText === undefined) {
    r.problems.push('TIME_ORIGIN is required with TIME_SCALE: the ISO 8601 instant where scaled and real time agree (`kyc-monitor sandbox --time-scale N` prints both)');
    return REAL_TIME;
  }
  const origin = parseTimeOrigin(originText);
  if (origin === null) {
    r.problems.push(`TIME_ORIGIN must be an ISO 8601 date-time with its offset, e.g. 2026-11-26T08:00:00Z (got "${originText}")`);
    return REAL_TIME;
  }
  return { origin, scale };
}

function parseMail(r: Reader): MailConfig {
  const smtpText = r.string('SMTP_URL', DEFAULTS.SMTP_URL) ?? DEFAULTS.SMTP_URL;
  const smtp = parseSmtpUrl(smtpText);
  if (!smtp.ok) r.problems.push(/^(is|must) /.test(smtp.error) ? `SMTP_URL ${smtp.error}` : `SMTP_URL: ${smtp.error}`);
  const from = r.string('ALERT_FROM', DEFAULTS.ALERT_FROM) ?? DEFAULTS.ALERT_FROM;
  const fromProblem = addressProblem(from.trim());
  if (fromProblem) r.problems.push(`ALERT_FROM must be one email address: "${from}" ${fromProblem}`);
  let to: string[] = [];
  if (r.string('ALERT_TO') === undefined) {
    r.problems.push('ALERT_TO is required: comma-separated recipients of alert emails');
  } else {
    to = r.recipients('ALERT_TO');
  }
  const routes = parseRoutes(r, r.string('ALERT_ROUTES'));
  const opsTo = r.string('OPS_ALERT_TO') === undefined ? to : r.recipients('OPS_ALERT_TO');
  const retryBaseSeconds = r.int('ALERT_RETRY_BASE_SECONDS', DEFAULTS.ALERT_RETRY_BASE_SECONDS, 1, 86_400);
  const retryMaxSeconds = r.int('ALERT_RETRY_MAX_SECONDS', DEFAULTS.ALERT_RETRY_MAX_SECONDS, 1, 7 * 86_400);
  if (retryMaxSeconds < retryBaseSeconds) {
    r.problems.push(`ALERT_RETRY_MAX_SECONDS (${retryMaxSeconds}) must not be less than ALERT_RETRY_BASE_SECONDS (${retryBaseSeconds})`);
  }
  return {
    smtp: smtp.ok ? smtp.value : { url: smtpText, requireTls: true },
    from: from.trim(),
    to,
    routes,
    opsTo,
    batchSeconds: r.int('ALERT_BATCH_SECONDS', DEFAULTS.ALERT_BATCH_SECONDS, 0, 86_400),
    leaseSeconds: r.int('ALERT_LEASE_SECONDS', DEFAULTS.ALERT_LEASE_SECONDS, 2, 3_600),
    retryBaseSeconds,
    retryMaxSeconds,
    customerUrlTemplate: parseCustomerUrlTemplate(r),
    instructions: parseInstructions(r),
    cases: parseCaseFollowUp(r),
    summary: parseSummary(r),
  };
}

function parseSummary(r: Reader): { pattern: string; timezone: string } | null {
  const pattern = (r.string('SUMMARY_CRON', DEFAULTS.SUMMARY_CRON) ?? DEFAULTS.SUMMARY_CRON).trim();
  if (pattern.toLowerCase() === 'off') return null;
  const zone = r.string('SCAN_TIMEZONE', DEFAULTS.SCAN_TIMEZONE) ?? DEFAULTS.SCAN_TIMEZONE;
  const timezone = isValidTimeZone(zone) ? zone : 'UTC';
  try {
    if (pattern.split(/\s+/).length < 5) throw new Error('too few fields');
    CronExpressionParser.parse(pattern, { tz: timezone });
  } catch (error) {
    r.problems.push(`SUMMARY_CRON is not a valid cron expression or "off" (got "${pattern}": ${(error as Error).message})`);
  }
  return { pattern, timezone };
}

/** Longest reminder interval or escalation delay: a year. */
const MAX_FOLLOW_UP_HOURS = 8_760;

function parseCaseFollowUp(r: Reader): CaseFollowUpConfig {
  const remindEveryMs = r.hours('REMIND_EVERY_HOURS', DEFAULTS.REMIND_EVERY_HOURS, MAX_FOLLOW_UP_HOURS);
  const escalateAfterMs = r.hours('ESCALATE_AFTER_HOURS', undefined, MAX_FOLLOW_UP_HOURS);
  const escalateTo = r.string('ESCALATE_TO') === undefined ? [] : r.recipients('ESCALATE_TO');
  if (escalateAfterMs > 0 && r.string('ESCALATE_TO') === undefined) r.problems.push('ESCALATE_TO is required with ESCALATE_AFTER_HOURS: who is told about cases nobody acknowledged');
  if (escalateAfterMs === 0 && r.string('ESCALATE_TO') !== undefined && !r.problems.some((p) => p.startsWith('ESCALATE_AFTER_HOURS'))) {
    r.problems.push('ESCALATE_TO is set but ESCALATE_AFTER_HOURS is not: set how many hours a case may stay unacknowledged before it is escalated');
  }
  return { remindEveryMs, escalateAfterMs, escalateTo };
}

function parseLinks(r: Reader): LinksConfig {
  const publicUrl = r.string('PUBLIC_URL')?.trim();
  const secret = r.string('LINK_SECRET');
  const secretFailed = r.problems.some((p) => p.startsWith('LINK_SECRET'));
  if (publicUrl === undefined && secret === undefined && !secretFailed) return null;
  if (publicUrl === undefined) {
    r.problems.push('PUBLIC_URL is required when LINK_SECRET is set: the address people open the case links at (https://kyc.example.com)');
  } else {
    publicUrlProblems(r, publicUrl);
  }
  if (secret === undefined) {
    if (!secretFailed) r.problems.push(`LINK_SECRET (or LINK_SECRET_FILE) is required when PUBLIC_URL is set: at least ${MIN_LINK_SECRET_LENGTH} characters that sign the case links`);
  } else if ([...secret].length < MIN_LINK_SECRET_LENGTH) {
    // Its length only, never the value.
    r.problems.push(`LINK_SECRET must be at least ${MIN_LINK_SECRET_LENGTH} characters long (got ${[...secret].length})`);
  }
  return { publicUrl: (publicUrl ?? '').replace(/\/+$/, ''), secret: secret ?? '' };
}

function publicUrlProblems(r: Reader, text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    r.problems.push(`PUBLIC_URL is not an absolute URL (got "${text}")`);
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') r.problems.push(`PUBLIC_URL must be an http or https URL (got ${url.protocol.replace(':', '')}:)`);
  // The links append /cases/<id>?t=… to it: a query, a fragment or credentials would break them.
  if (url.username || url.password) r.problems.push('PUBLIC_URL must not hold a user name or password');
  if (url.search || url.hash || text.includes('?') || text.includes('#')) r.problems.push(`PUBLIC_URL must not have a query or fragment (got "${url.username || url.password ? '…' : text}")`);
}

/** Longest ALERT_INSTRUCTIONS: a paragraph or two, not a manual. */
export const MAX_INSTRUCTIONS_LENGTH = 2_000;

function parseCustomerUrlTemplate(r: Reader): string | undefined {
  const template = r.string('CUSTOMER_URL_TEMPLATE')?.trim();
  if (template === undefined || template === '') return undefined;
  if (!template.includes('{id}')) {
    r.problems.push(`CUSTOMER_URL_TEMPLATE must contain {id}, which stands for the customer id (got "${template}")`);
    return undefined;
  }
  try {
    const url = new URL(template.replaceAll('{id}', 'cust-1'));
    if (url.protocol !== 'https:' && url.protocol !== 'http:') r.problems.push(`CUSTOMER_URL_TEMPLATE must be an http or https URL (got ${url.protocol.replace(':', '')}:)`);
  } catch {
    r.problems.push(`CUSTOMER_URL_TEMPLATE is not a valid URL with {id} in it (got "${template}")`);
  }
  return template;
}

function parseInstructions(r: Reader): string | undefined {
  const text = r.string('ALERT_INSTRUCTIONS')?.replace(/\r\n?/g, '\n').trim();
  if (text === undefined || text === '') return undefined;
  if (text.length > MAX_INSTRUCTIONS_LENGTH) r.problems.push(`ALERT_INSTRUCTIONS is ${text.length} characters long: at most ${MAX_INSTRUCTIONS_LENGTH}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text)) r.problems.push('ALERT_INSTRUCTIONS may hold text and line breaks only, no control characters');
  return text;
}

/**
 * Parses the environment into a frozen configuration holding the requested sections.
 * Throws ConfigError listing every problem; secret values never appear in a problem.
 */
export function parseConfig<S extends Section>(env: Env, sections: readonly S[]): ConfigFor<S> {
  const r = new Reader(env);
  const config = readSections(r, sections);
  if (r.problems.length > 0) throw new ConfigError([...new Set(r.problems)]);
  config.secrets = [...r.secrets].filter((s) => s.length >= 4);
  return Object.freeze(config) as ConfigFor<S>;
}

function readSections(r: Reader, sections: readonly Section[]): Partial<Config> {
  const wanted = new Set<Section>(sections);
  const logLevel = (r.string('LOG_LEVEL', DEFAULTS.LOG_LEVEL) ?? DEFAULTS.LOG_LEVEL).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) r.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  const config: Partial<Config> = { logLevel };
  const enter = (name: Section) => {
    r.section = name;
    return wanted.has(name);
  };
  if (enter('database')) config.database = { url: r.url('DATABASE_URL', DEFAULTS.DATABASE_URL, ['postgresql:', 'postgres:'], true) };
  if (enter('redis')) {
    const queuePrefix = r.string('QUEUE_PREFIX', DEFAULTS.QUEUE_PREFIX) ?? DEFAULTS.QUEUE_PREFIX;
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(queuePrefix)) r.problems.push(`QUEUE_PREFIX may hold only letters, digits and _ . : - (got "${queuePrefix}")`);
    config.redis = {
      url: r.url('REDIS_URL', DEFAULTS.REDIS_URL, ['redis:', 'rediss:'], true),
      queuePrefix,
      connectTimeoutMs: r.int('REDIS_CONNECT_TIMEOUT_SECONDS', DEFAULTS.REDIS_CONNECT_TIMEOUT_SECONDS, 1, 600) * 1000,
    };
  }
  if (enter('cyrexa')) config.cyrexa = parseCyrexa(r);
  if (enter('scan')) config.scan = parseScan(r);
  if (enter('rules')) config.rules = parseRules(r);
  if (enter('mail')) config.mail = parseMail(r);
  if (enter('http')) config.http = { port: r.int('HTTP_PORT', DEFAULTS.HTTP_PORT, 0, 65_535) };
  if (enter('links')) config.links = parseLinks(r);
  if (enter('web')) config.web = { port: r.int('WEB_PORT', DEFAULTS.WEB_PORT, 1, 65_535) };
  // The people's pages are served only with the links on, never on the metrics' port.
  if (config.links && config.web && config.http && config.http.port === config.web.port) {
    r.problems.push(`WEB_PORT (${config.web.port}) must differ from HTTP_PORT (${config.http.port}): the people's pages are never served beside the internal metrics`);
  }
  return config;
}

export interface SectionVariables {
  /** A configuration section, or `general` (LOG_LEVEL). */
  section: string;
  /** Each with `[_FILE]` when it may be given as a file. */
  variables: string[];
}

/**
 * The environment variables the given sections read, found by running the parser itself on an
 * empty environment: the one list there is, so that --help cannot drift from what is read.
 */
export function configVariables(sections: readonly Section[]): SectionVariables[] {
  const r = new Reader({});
  readSections(r, sections);
  return [...r.variables].map(([section, names]) => ({ section, variables: [...names].map(([name, file]) => (file ? `${name}[_FILE]` : name)) }));
}

/** The environment of this process: the one place outside tests that touches process.env. */
export function processEnv(): Env {
  return process.env;
}
