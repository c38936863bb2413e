import { describe, expect, it } from 'vitest';
import { raisesAlert, type AlertRules } from '../../src/domain/alert-rules.js';
import { locationKey, matchDocuments, toSnapshot, type ApiDocument, type SnapshotDocument } from '../../src/domain/documents.js';
import { diffDocuments, type DiffResult, type DocumentChange, type StoredState } from '../../src/domain/status-diff.js';

const doc = (over: Partial<ApiDocument> = {}): ApiDocument => ({
  purpose: 'KYC',
  documentType: 'Passport',
  name: 'passport.pdf',
  location: 'https://files.example/a.pdf',
  status: 'verified',
  verificationResponse: 'ok',
  ...over,
});

const snapshotsOf = (docs: ApiDocument[]): SnapshotDocument[] => docs.map((d, i) => toSnapshot(d, i));
const stateOf = (docs: ApiDocument[]): StoredState => ({ documents: snapshotsOf(docs), removed: [], emptyPending: false });
const stateAfter = (r: DiffResult): StoredState => ({ documents: r.next, removed: r.removed, emptyPending: r.emptyPending });
const rules: AlertRules = { statuses: ['expired', 'declined'], onBaseline: true };
const summary = (changes: DocumentChange[]) => changes.map((c) => `${c.kind}:${c.name}:${c.previousStatus ?? '-'}>${c.newStatus ?? '-'}${c.baseline ? ':baseline' : ''}`);

describe('locationKey', () => {
  it.each([
    ['https://x/a.pdf?sig=1&exp=2', 'https://x/a.pdf'],
    ['https://x/a.pdf#page=2', 'https://x/a.pdf'],
    ['https://x/a.pdf?x=1#y', 'https://x/a.pdf'],
    ['  /files/b  ', '/files/b'],
    [null, ''],
  ])('%s → %s', (input, expected) => expect(locationKey(input)).toBe(expected));
});

describe('diffDocuments (SPEC §4)', () => {
  const cases: Array<{ name: string; previous: ApiDocument[] | null; current: ApiDocument[]; events: string[]; alerts: number; alertsWithoutBaseline?: number }> = [
    {
      name: 'baseline: every document appears, baseline-flagged',
      previous: null,
      current: [doc({ name: 'a', status: 'verified' }), doc({ name: 'b', status: 'expired' }), doc({ name: 'c', status: 'declined' })],
      events: ['appeared:a:->verified:baseline', 'appeared:b:->expired:baseline', 'appeared:c:->declined:baseline'],
      alerts: 2,
      alertsWithoutBaseline: 0,
    },
    { name: 'baseline with no documents records nothing', previous: null, current: [], events: [], alerts: 0 },
    {
      name: 'verified → expired alerts',
      previous: [doc({ status: 'verified' })],
      current: [doc({ status: 'expired' })],
      events: ['status_changed:passport.pdf:verified>expired'],
      alerts: 1,
    },
    {
      name: 'underverification → declined alerts',
      previous: [doc({ status: 'underverification' })],
      current: [doc({ status: 'declined' })],
      events: ['status_changed:passport.pdf:underverification>declined'],
      alerts: 1,
    },
    {
      name: 'a change to a status not listed records an event but no alert',
      previous: [doc({ status: 'underverification' })],
      current: [doc({ status: 'verified' })],
      events: ['status_changed:passport.pdf:underverification>verified'],
      alerts: 0,
    },
    {
      name: 'expired → declined is a change into an alert status',
      previous: [doc({ status: 'expired' })],
      current: [doc({ status: 'declined' })],
      events: ['status_changed:passport.pdf:expired>declined'],
      alerts: 1,
    },
    {
      name: 'a document gone from the response is removed, without alert',
      previous: [doc({ name: 'a' }), doc({ name: 'b', status: 'expired' })],
      current: [doc({ name: 'a' })],
      events: ['removed:b:expired>-'],
      alerts: 0,
    },
    {
      name: 'a new document after baseline appears; alerts when in an alert status',
      previous: [doc({ name: 'a' })],
      current: [doc({ name: 'a' }), doc({ name: 'b', status: 'declined' })],
      events: ['appeared:b:->declined'],
      alerts: 1,
      alertsWithoutBaseline: 1,
    },
    {
      name: 'a signed URL that changes on every call changes nothing',
      previous: [doc({ location: 'https://f/x.pdf?sig=aaa' })],
      current: [doc({ location: 'https://f/x.pdf?sig=bbb' })],
      events: [],
      alerts: 0,
    },
    {
      name: 'a single document whose location moved keeps its identity',
      previous: [doc({ location: 'https://f/old.pdf', status: 'verified' })],
      current: [doc({ location: 'https://f/new.pdf', status: 'expired' })],
      events: ['status_changed:passport.pdf:verified>expired'],
      alerts: 1,
    },
    {
      name: 'same identity twice: told apart by cleaned location, whatever the order',
      previous: [doc({ location: 'https://f/1.pdf?s=1', status: 'verified' }), doc({ location: 'https://f/2.pdf?s=1', status: 'verified' })],
      current: [doc({ location: 'https://f/2.pdf?s=2', status: 'expired' }), doc({ location: 'https://f/1.pdf?s=2', status: 'verified' })],
      events: ['status_changed:passport.pdf:verified>expired'],
      alerts: 1,
    },
    {
      name: 'same identity and location twice: told apart by order of appearance',
      previous: [doc({ location: 'https://f/x.pdf', status: 'verified' }), doc({ location: 'https://f/x.pdf', status: 'underverification' })],
      current: [doc({ location: 'https://f/x.pdf', status: 'verified' }), doc({ location: 'https://f/x.pdf', status: 'declined' })],
      events: ['status_changed:passport.pdf:underverification>declined'],
      alerts: 1,
    },
    {
      name: 'a second document with the same identity appears beside the first',
      previous: [doc({ location: 'https://f/1.pdf', status: 'verified' })],
      current: [doc({ location: 'https://f/1.pdf', status: 'verified' }), doc({ location: 'https://f/2.pdf', status: 'expired' })],
      events: ['appeared:passport.pdf:->expired'],
      alerts: 1,
    },
    {
      name: 'location alone never defines identity: same location, other names are other documents',
      previous: [doc({ name: 'front', location: 'https://f/same.pdf', status: 'verified' })],
      current: [doc({ name: 'back', location: 'https://f/same.pdf', status: 'expired' })],
      events: ['appeared:back:->expired', 'removed:front:verified>-'],
      alerts: 1,
    },
    {
      name: 'purpose is part of identity',
      previous: [doc({ purpose: 'KYC', status: 'verified' })],
      current: [doc({ purpose: 'KYB', status: 'verified' })],
      events: ['appeared:passport.pdf:->verified', 'removed:passport.pdf:verified>-'],
      alerts: 0,
    },
    {
      name: 'an unknown status is stored as it is and does not alert unless listed',
      previous: [doc({ status: 'verified' })],
      current: [doc({ status: 'suspended' })],
      events: ['status_changed:passport.pdf:verified>suspended'],
      alerts: 0,
    },
    {
      name: 'a removed document that reappears is appeared again',
      previous: [],
      current: [doc({ status: 'expired' })],
      events: ['appeared:passport.pdf:->expired'],
      alerts: 1,
    },
  ];

  it.each(cases)('$name', ({ previous, current, events, alerts, alertsWithoutBaseline }) => {
    const result = diffDocuments(previous === null ? null : stateOf(previous), current);
    expect(summary(result.changes).sort()).toEqual([...events].sort());
    expect(result.changes.filter((c) => raisesAlert(c, rules))).toHaveLength(alerts);
    const off = { ...rules, onBaseline: false };
    expect(result.changes.filter((c) => raisesAlert(c, off))).toHaveLength(alertsWithoutBaseline ?? alerts);
  });

  it.each(cases)('re-running against its own result records nothing: $name', ({ previous, current }) => {
    const first = diffDocuments(previous === null ? null : stateOf(previous), current);
    const second = diffDocuments(stateAfter(first), current.map((d) => ({ ...d, location: d.location === null ? null : `${d.location.split('?')[0]}?sig=new` })));
    expect(second.changes).toEqual([]);
    expect(second.snapshotChanged).toBe(false);
  });

  it('an unknown status in ALERT_STATUSES alerts', () => {
    const [change] = diffDocuments(stateOf([doc({ status: 'verified' })]), [doc({ status: 'suspended' })]).changes;
    expect(change && raisesAlert(change, { statuses: ['suspended'], onBaseline: true })).toBe(true);
  });

  it('a changed verification response updates the snapshot without an event', () => {
    const result = diffDocuments(stateOf([doc({ verificationResponse: 'a' })]), [doc({ verificationResponse: 'b' })]);
    expect(result.changes).toEqual([]);
    expect(result.snapshotChanged).toBe(true);
    expect(result.next[0]?.verificationResponse).toBe('b');
  });

  it('baseline is a change even with no documents, so the baseline is stored', () => {
    expect(diffDocuments(null, []).snapshotChanged).toBe(true);
  });
});

describe('matchDocuments', () => {
  it('pairs every document exactly once', () => {
    const previous = snapshotsOf([doc({ location: '/1' }), doc({ location: '/2' }), doc({ location: '/3' })]);
    const current = snapshotsOf([doc({ location: '/3' }), doc({ location: '/9' })]);
    const matches = matchDocuments(previous, current);
    expect(matches).toHaveLength(3);
    expect(matches.filter((m) => m.previous && m.current).map((m) => [m.previous?.locationKey, m.current?.locationKey])).toEqual([
      ['/3', '/3'],
      ['/1', '/9'],
    ]);
    expect(matches.filter((m) => !m.current).map((m) => m.previous?.locationKey)).toEqual(['/2']);
  });
});
