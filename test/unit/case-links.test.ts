import { describe, expect, it } from 'vitest';
import { caseLink, caseLinkUrl, LINK_VALIDITY_SECONDS, signCaseToken, verifyCaseToken } from '../../src/domain/case-links.js';

// The email's case links (SPEC §10): an HMAC-SHA256 token for one case and an expiry 30 days
// ahead, refused when tampered with, expired, malformed, or made for another case or secret.

const SECRET = 'a-link-secret-of-at-least-32-chars!!';
const OTHER_SECRET = 'another-link-secret-of-32-chars-or-more';
const now = new Date('2026-11-25T08:00:00Z');
const inADay = new Date(now.getTime() + 86_400_000);
const token = signCaseToken(SECRET, 17n, inADay);
const [expiry, mac] = token.split('.') as [string, string];

/** The token with the character at `index` of its MAC replaced by another one. */
function flipMacChar(index: number): string {
  const chars = [...mac];
  chars[index] = chars[index] === 'A' ? 'B' : 'A';
  return `${expiry}.${chars.join('')}`;
}

describe('case link tokens', () => {
  it('look like <expiry epoch seconds>.<base64url MAC>', () => {
    expect(token).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    expect(Number(expiry)).toBe(inADay.getTime() / 1000);
    // The same inputs make the same token; any of them changed makes another.
    expect(signCaseToken(SECRET, '17', inADay)).toBe(token);
    expect(signCaseToken(SECRET, 18n, inADay)).not.toBe(token);
    expect(signCaseToken(OTHER_SECRET, 17n, inADay)).not.toBe(token);
  });

  it.each([
    ['a valid token', SECRET, 17n, token, now, { ok: true, expiresAt: inADay }],
    ['a valid token, the id given as text', SECRET, '17', token, now, { ok: true, expiresAt: inADay }],
    ['a second before it expires', SECRET, 17n, token, new Date(inADay.getTime() - 1000), { ok: true, expiresAt: inADay }],
    ['the MAC changed at its first character', SECRET, 17n, flipMacChar(0), now, { ok: false, reason: 'forged' }],
    ['the MAC changed at its last character', SECRET, 17n, flipMacChar(42), now, { ok: false, reason: 'forged' }],
    ['the expiry moved a second later', SECRET, 17n, `${Number(expiry) + 1}.${mac}`, now, { ok: false, reason: 'forged' }],
    ['the expiry moved a year later', SECRET, 17n, `${Number(expiry) + 365 * 86_400}.${mac}`, now, { ok: false, reason: 'forged' }],
    ['another case (tampered id)', SECRET, 18n, token, now, { ok: false, reason: 'forged' }],
    ['another case sharing its digits', SECRET, 170n, token, now, { ok: false, reason: 'forged' }],
    ['made with another secret', OTHER_SECRET, 17n, token, now, { ok: false, reason: 'forged' }],
    ['at its expiry', SECRET, 17n, token, inADay, { ok: false, reason: 'expired', expiredAt: inADay }],
    ['after its expiry', SECRET, 17n, token, new Date(inADay.getTime() + 31 * 86_400_000), { ok: false, reason: 'expired', expiredAt: inADay }],
    ['empty', SECRET, 17n, '', now, { ok: false, reason: 'malformed' }],
    ['the MAC alone', SECRET, 17n, mac, now, { ok: false, reason: 'malformed' }],
    ['the MAC cut short', SECRET, 17n, token.slice(0, -1), now, { ok: false, reason: 'malformed' }],
    ['the MAC made longer', SECRET, 17n, `${token}A`, now, { ok: false, reason: 'malformed' }],
    ['the MAC in standard base64', SECRET, 17n, `${expiry}.${mac.replace(/[A-Za-z]/, '+')}`, now, { ok: false, reason: 'malformed' }],
    ['a negative expiry', SECRET, 17n, `-${token}`, now, { ok: false, reason: 'malformed' }],
    ['a fractional expiry', SECRET, 17n, `${expiry}.5.${mac}`, now, { ok: false, reason: 'malformed' }],
    ['surrounded by spaces', SECRET, 17n, ` ${token} `, now, { ok: false, reason: 'malformed' }],
    ['percent-encoded', SECRET, 17n, encodeURIComponent(`${expiry}/${mac}`), now, { ok: false, reason: 'malformed' }],
    ['markup', SECRET, 17n, '<script>alert(1)</script>', now, { ok: false, reason: 'malformed' }],
    ['for a case id with a leading zero', SECRET, '017', token, now, { ok: false, reason: 'malformed' }],
    ['for case 0', SECRET, 0n, token, now, { ok: false, reason: 'malformed' }],
  ] as const)('%s', (_what, secret, caseId, given, at, expected) => {
    expect(verifyCaseToken(secret, caseId, given, at)).toEqual(expected);
  });

  it('refuses to sign for something that is not a case id, or before 1970', () => {
    expect(() => signCaseToken(SECRET, 0n, inADay)).toThrow(RangeError);
    expect(() => signCaseToken(SECRET, '17/../18', inADay)).toThrow(RangeError);
    expect(() => signCaseToken(SECRET, 17n, new Date(-1000))).toThrow(RangeError);
  });
});

describe('case links', () => {
  it('PUBLIC_URL/cases/<id>?t=<token>, valid 30 days from the time the email is rendered', () => {
    const link = new URL(caseLink({ publicUrl: 'https://kyc.example', secret: SECRET }, 17n, now));
    expect(`${link.origin}${link.pathname}`).toBe('https://kyc.example/cases/17');
    const t = link.searchParams.get('t') ?? '';
    expect(verifyCaseToken(SECRET, 17n, t, now)).toEqual({ ok: true, expiresAt: new Date(now.getTime() + LINK_VALIDITY_SECONDS * 1000) });
    expect(LINK_VALIDITY_SECONDS).toBe(30 * 24 * 3600);
    expect(verifyCaseToken(SECRET, 17n, t, new Date(now.getTime() + 30 * 86_400_000 - 1000)).ok).toBe(true);
    expect(verifyCaseToken(SECRET, 17n, t, new Date(now.getTime() + 30 * 86_400_000)).ok).toBe(false);
  });

  it.each([
    ['https://kyc.example', 'https://kyc.example/cases/17?t=T'],
    ['https://kyc.example/', 'https://kyc.example/cases/17?t=T'],
    ['https://bank.example/compliance/kyc', 'https://bank.example/compliance/kyc/cases/17?t=T'],
    ['https://bank.example/compliance/kyc//', 'https://bank.example/compliance/kyc/cases/17?t=T'],
    ['http://127.0.0.1:8081', 'http://127.0.0.1:8081/cases/17?t=T'],
  ])('%s → %s (no double slash)', (publicUrl, expected) => {
    expect(caseLinkUrl(publicUrl, 17n, 'T')).toBe(expected);
  });
});
