import { describe, expect, it } from 'vitest';
import { daysUntil, parseWarningDays, thresholdsFor, warningThreshold, type WarningDays } from '../../src/domain/expiry-warnings.js';

// SPEC §11: which expiry warning a check raises.

const parsed = (text: string): WarningDays => {
  const result = parseWarningDays(text);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

describe('EXPIRY_WARNING_DAYS', () => {
  it.each([
    ['30,7', [30, 7], []],
    [' 7 , 30 ', [30, 7], []],
    ['', [], []],
    ['0', [], []],
    ['KYB=90,30;KYC=30,7;*=14', [14], [['KYB', [90, 30]], ['KYC', [30, 7]]]],
    ['KYB=90;KYC=0', [], [['KYB', [90]], ['KYC', []]]],
  ])('%j', (text, fallback, byPurpose) => {
    const days = parsed(text);
    expect(days.fallback).toEqual(fallback);
    expect([...days.byPurpose]).toEqual(byPurpose);
  });

  it.each([
    ['30,soon', '"soon" is not a number of days'],
    ['30,-7', '"-7" is not a number of days'],
    ['KYB=90;=30', 'entry 2 ("=30") must be PURPOSE=days,days'],
    ['KYB=90;KYB=30', 'KYB is named twice'],
    ['KYB=99999', 'entry 1 (KYB): "99999" is not a number of days from 0 to 3650'],
  ])('%j is refused: %s', (text, error) => {
    const result = parseWarningDays(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(error);
  });

  it('thresholds by purpose, the others falling back', () => {
    const days = parsed('KYB=90,30;*=30,7');
    expect(thresholdsFor('KYB', days)).toEqual([90, 30]);
    expect(thresholdsFor('PEP&SANCTION', days)).toEqual([30, 7]);
  });
});

describe('calendar days left', () => {
  it.each([
    ['2026-11-26', '2026-11-26', 0],
    ['2026-11-26', '2026-12-26', 30],
    ['2026-11-26', '2026-11-25', -1],
    ['2027-03-01', '2027-03-28', 27],
    ['2026-03-28', '2026-03-30', 2],
  ])('%s → %s: %i', (today, day, n) => expect(daysUntil(today, day)).toBe(n));
});

describe('which warning a check raises (thresholds 30 and 7)', () => {
  const t = [30, 7];
  it.each([
    ['31 days left, none yet', 31, null, null],
    ['30 days left', 30, null, 30],
    ['20 days left, warned at 30', 20, 30, null],
    ['7 days left, warned at 30', 7, 30, 7],
    ['first seen 5 days before: one 7-day warning, not two', 5, null, 7],
    ['5 days left, warned at 7', 5, 7, null],
    ['the day itself, warned at 7', 0, 7, null],
    ['past the date, never warned', -3, null, 7],
  ])('%s', (_, daysLeft, warned, expected) => expect(warningThreshold(daysLeft, t, warned)).toBe(expected));

  it('none without thresholds', () => expect(warningThreshold(1, [], null)).toBeNull());
});
