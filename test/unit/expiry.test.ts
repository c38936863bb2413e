import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPIRY_METADATA_NAMES, dayIn, metadataKey, readExpiry, type MetadataEntry } from '../../src/domain/expiry.js';

// SPEC §11: the expiry date of a document, from its metadata.

const NAMES = new Set<string>(DEFAULT_EXPIRY_METADATA_NAMES);
const entry = (name: string, value: string, type = 'String'): MetadataEntry => ({ name, type, value });
const read = (metadata: MetadataEntry[], tz = 'UTC') => readExpiry(metadata, NAMES, tz);

describe('metadata names', () => {
  it.each([
    ['Expiry Date', 'expirydate'],
    ['valid_until', 'validuntil'],
    ['VALID-TO', 'validto'],
    ['Date of expiry', 'dateofexpiry'],
    ['  expires  on ', 'expireson'],
  ])('%j → %s', (name, key) => expect(metadataKey(name)).toBe(key));
});

describe('readExpiry', () => {
  it.each([
    ['an ISO date', [entry('expiryDate', '2027-03-31')], '2027-03-31'],
    ['an ISO date-time in UTC', [entry('Valid Until', '2027-03-31T23:30:00Z')], '2027-03-31'],
    ['an ISO date-time with an offset', [entry('expires', '2027-03-31T23:30:00-02:00')], '2027-04-01'],
    ['Unix seconds', [entry('expiry', '1806451200', 'Number')], '2027-03-31'],
    ['Unix milliseconds', [entry('expiry', '1806451200000', 'Number')], '2027-03-31'],
    ['Unix seconds with a fraction', [entry('expiry', '1806451200.5', 'Number')], '2027-03-31'],
    ['the first readable of several', [entry('pages', '3', 'Number'), entry('expiry', 'soon'), entry('valid_to', '2028-01-01')], '2028-01-01'],
    ['the first when two are readable', [entry('expiry', '2027-01-01'), entry('validUntil', '2029-01-01')], '2027-01-01'],
  ])('%s', (_, metadata, day) => expect(read(metadata).expiresOn).toBe(day));

  it.each([
    ['no metadata', []],
    ['another name', [entry('issued', '2027-03-31')]],
    ['a number that is not a Number entry', [entry('expiry', '1806451200')]],
    ['a date in words', [entry('expiry', '31 March 2027')]],
    ['an impossible date', [entry('expiry', '2027-02-30')]],
    ['a date-time without its zone', [entry('expiry', '2027-03-31T10:00')]],
    ['a negative Number', [entry('expiry', '-5', 'Number')]],
    ['an absurd year', [entry('expiry', '0001-01-01')]],
    ['an empty value', [entry('expiry', '')]],
  ])('%s gives none', (_, metadata) => expect(read(metadata as MetadataEntry[]).expiresOn).toBeNull());

  it('counts the expiry entries it could not read', () => {
    expect(read([entry('expiry', 'soon'), entry('valid_to', 'never')])).toEqual({ expiresOn: null, unreadable: 2 });
    expect(read([entry('expiry', 'soon'), entry('valid_to', '2027-01-01')])).toEqual({ expiresOn: '2027-01-01', unreadable: 1 });
    expect(read([entry('pages', 'x')])).toEqual({ expiresOn: null, unreadable: 0 });
  });

  it('reads a date-time as its calendar day in the scan time zone', () => {
    expect(read([entry('expiry', '2027-03-31T23:30:00Z')], 'Europe/Berlin').expiresOn).toBe('2027-04-01');
    expect(read([entry('expiry', '2027-04-01T01:00:00+02:00')], 'America/New_York').expiresOn).toBe('2027-03-31');
    expect(dayIn(new Date('2026-12-31T23:00:00Z'), 'Asia/Tokyo')).toBe('2027-01-01');
  });

  it('survives hostile metadata', () => {
    expect(read([{ name: 42, type: null, value: {} } as unknown as MetadataEntry, entry('expiry', '2027-05-05')]).expiresOn).toBe('2027-05-05');
  });
});
