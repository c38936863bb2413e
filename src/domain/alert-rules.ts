import { statusKey } from './documents.js';
import type { DocumentChange } from './status-diff.js';

// Which document changes raise an alert (SPEC §4).

export interface AlertRules {
  /** Compared like every status: trimmed and case-insensitively. */
  statuses: readonly string[];
  onBaseline: boolean;
}

export function isAlertStatus(status: string, rules: AlertRules): boolean {
  const key = statusKey(status);
  return rules.statuses.some((listed) => statusKey(listed) === key);
}

export function raisesAlert(change: DocumentChange, rules: AlertRules): boolean {
  if (change.newStatus === null || !isAlertStatus(change.newStatus, rules)) return false;
  if (change.kind === 'status_changed') return true;
  // A document back in the status it was removed in was alerted (or not) the first time.
  if (change.kind === 'appeared') return !change.reappeared && (!change.baseline || rules.onBaseline);
  return false;
}
