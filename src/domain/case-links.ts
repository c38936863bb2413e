import { createHmac, timingSafeEqual } from 'node:crypto';

// The link in an email that lets a person acknowledge a case (SPEC §10): `PUBLIC_URL/cases/<id>?t=<token>`.
// The token is `<expiry in epoch seconds>.<base64url HMAC-SHA256 of the case id and that expiry>`,
// keyed with LINK_SECRET: it names one case, for 30 days, and cannot be made without the secret.
// Pure computation (node:crypto's HMAC is arithmetic, not I/O); `now` is always the caller's.

/** How long a link works after the email that carries it was rendered. */
export const LINK_VALIDITY_SECONDS = 30 * 86_400;

/** LINK_SECRET's shortest length: a key of at least 256 bits' worth of characters. */
export const MIN_LINK_SECRET_LENGTH = 32;

export interface CaseLinkSettings {
  /** Absolute http(s) URL the people's pages are reached at, with or without a path prefix. */
  publicUrl: string;
  secret: string;
}

export type TokenCheck =
  | { ok: true; expiresAt: Date }
  /** `malformed`: not a token at all; `forged`: not made with this secret for this case; `expired`: made so, but too old. */
  | { ok: false; reason: 'malformed' | 'forged' | 'expired'; expiredAt?: Date };

/** `<1–12 digits>.<43 base64url characters>` (32 bytes, unpadded). */
const TOKEN_SHAPE = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;
/** Case ids as Postgres's bigint holds them, in their one canonical spelling. */
const CASE_ID = /^[1-9][0-9]{0,18}$/;

function mac(secret: string, caseId: string, expiresAtSeconds: number): Buffer {
  // The context string keeps these MACs apart from any other use of the same key.
  return createHmac('sha256', secret).update(`kyc-monitor case link v1\n${caseId}\n${expiresAtSeconds}`).digest();
}

function canonicalId(caseId: bigint | number | string): string {
  const text = String(caseId);
  if (!CASE_ID.test(text)) throw new RangeError(`not a case id: ${JSON.stringify(text)}`);
  return text;
}

/** A token for the case that works until `expiresAt` (whole seconds, rounded down). */
export function signCaseToken(secret: string, caseId: bigint | number | string, expiresAt: Date): string {
  const expiry = Math.floor(expiresAt.getTime() / 1000);
  if (!Number.isSafeInteger(expiry) || expiry < 0) throw new RangeError('the expiry must be a time after 1970');
  return `${expiry}.${mac(secret, canonicalId(caseId), expiry).toString('base64url')}`;
}

/** Whether `token` was made with `secret` for this case and still works at `now`; compared in constant time. */
export function verifyCaseToken(secret: string, caseId: bigint | number | string, token: string, now: Date): TokenCheck {
  const match = TOKEN_SHAPE.exec(token);
  const id = String(caseId);
  if (!match || !CASE_ID.test(id)) return { ok: false, reason: 'malformed' };
  const expiry = Number(match[1]);
  // The encoded texts are compared, not the decoded bytes: the last base64url character carries
  // two unused bits, and a token whose text was changed must not pass as the original.
  const given = Buffer.from(match[2] as string, 'ascii');
  const expected = Buffer.from(mac(secret, id, expiry).toString('base64url'), 'ascii');
  // Lengths first: timingSafeEqual throws on unequal lengths (the shape above makes them equal).
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  const expiresAt = new Date(expiry * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired', expiredAt: expiresAt };
  return { ok: true, expiresAt };
}

/** `PUBLIC_URL/cases/<id>?t=<token>` (one slash between them, whatever PUBLIC_URL ends with). */
export function caseLinkUrl(publicUrl: string, caseId: bigint | number | string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/cases/${canonicalId(caseId)}?t=${encodeURIComponent(token)}`;
}

/** The link an email rendered at `now` carries for the case: it works for LINK_VALIDITY_SECONDS. */
export function caseLink(settings: CaseLinkSettings, caseId: bigint | number | string, now: Date): string {
  const token = signCaseToken(settings.secret, caseId, new Date(now.getTime() + LINK_VALIDITY_SECONDS * 1000));
  return caseLinkUrl(settings.publicUrl, caseId, token);
}
