import { describe, expect, it } from 'vitest';
import { isAlertStatus, raisesAlert, type AlertRules } from '../../src/domain/alert-rules.js';
import { isKnownStatus, statusKey, type ApiDocument } from '../../src/domain/documents.js';
import { diffDocuments, type DiffResult, type DocumentChange, type StoredState } from '../../src/domain/status-diff.js';

// Issue 9 item 5: statuses are compared trimmed and case-insensitively; the raw value is kept.

const rules: AlertRules = { statuses: ['expired', 'declined'], onBaseline: true };
const doc = (status: string, location: string | null = '/f/a.pdf'): ApiDocument => ({
  purpose: 'KYC',
  documentType: 'Passport',
  name: 'passport.pdf',
  location,
  status,
  verificationResponse: null,
});
const line = (c: DocumentChange) => `${c.kind}:${JSON.stringify(c.previousStatus)}>${JSON.stringify(c.newStatus)}`;
const stateAfter = (r: DiffResult): StoredState => ({ documents: r.next, removed: r.removed, emptyPending: r.emptyPending });
const after = (previous: ApiDocument[], current: ApiDocument[]) => diffDocuments(stateAfter(diffDocuments(null, previous)), current);

describe('statusKey', () => {
  it.each([
    ['expired', 'expired'],
    ['EXPIRED', 'expired'],
    ['Expired', 'expired'],
    [' expired ', 'expired'],
    ['\texpired\n', 'expired'],
    ['Under Verification', 'under verification'],
  ])('%j → %j', (raw, key) => expect(statusKey(raw)).toBe(key));
});

describe('a change into an alert status, whatever its case or spacing', () => {
  it.each(['EXPIRED', 'Expired', ' expired ', '\tDECLINED\n', 'declined '])('verified → %j: an event with the raw value, and an alert', (status) => {
    const { changes } = after([doc('verified')], [doc(status)]);
    expect(changes.map(line)).toEqual([`status_changed:"verified">${JSON.stringify(status)}`]);
    expect(changes.filter((c) => raisesAlert(c, rules))).toHaveLength(1);
  });

  it.each(['EXPIRED', ' Declined '])('appeared as %j alerts, at baseline too', (status) => {
    for (const result of [diffDocuments(null, [doc(status)]), after([], [doc(status)])]) {
      expect(result.changes.map(line)).toEqual([`appeared:null>${JSON.stringify(status)}`]);
      expect(result.changes.filter((c) => raisesAlert(c, rules))).toHaveLength(1);
    }
  });

  it('EXPIRED → declined is a change', () => {
    expect(after([doc('EXPIRED')], [doc('declined')]).changes.map(line)).toEqual(['status_changed:"EXPIRED">"declined"']);
  });
});

describe('a change of case or spacing only', () => {
  it.each([
    ['expired', 'EXPIRED'],
    ['EXPIRED', 'expired'],
    ['verified', ' Verified '],
    ['declined', 'declined\n'],
  ])('%j → %j records no event; the snapshot keeps the new raw value', (before, now) => {
    const result = after([doc(before)], [doc(now)]);
    expect(result.changes).toEqual([]);
    expect(result.snapshotChanged).toBe(true);
    expect(result.next.map((d) => d.status)).toEqual([now]);
    const again = diffDocuments(stateAfter(result), [doc(now)]);
    expect({ changes: again.changes, stored: again.snapshotChanged }).toEqual({ changes: [], stored: false });
  });

  it('location-less duplicates reordered with their case changed: no event', () => {
    const result = after([doc('expired', null), doc('verified', null)], [doc('Verified', null), doc('EXPIRED', null)]);
    expect(result.changes).toEqual([]);
  });
});

describe('ALERT_STATUSES compared the same way', () => {
  it.each([
    [['EXPIRED'], 'expired', true],
    [[' Declined '], 'DECLINED', true],
    [['expired'], ' Expired ', true],
    [['expired'], 'expiredish', false],
    [['suspended'], 'SUSPENDED', true],
  ])('listed %j, status %j → %s', (statuses, status, expected) => {
    expect(isAlertStatus(status, { statuses, onBaseline: true })).toBe(expected);
    const [change] = after([doc('verified')], [doc(status)]).changes;
    expect(change && raisesAlert(change, { statuses, onBaseline: true })).toBe(expected);
  });
});

describe('known statuses', () => {
  it.each([
    ['verified', true],
    [' Verified ', true],
    ['UNDERVERIFICATION', true],
    ['suspended', false],
  ])('%j known: %s', (status, known) => expect(isKnownStatus(status)).toBe(known));
});
