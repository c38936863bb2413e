import type { DocumentChange } from './status-diff.js';

// Which document changes raise an alert (SPEC §4).

export interface AlertRules {
  statuses: readonly string[];
  onBaseline: boolean;
}

export function raisesAlert(change: DocumentChange, rules: AlertRules): boolean {
  if (change.newStatus === null || !rules.statuses.includes(change.newStatus)) return false;
  if (change.kind === 'status_changed') return true;
  if (change.kind === 'appeared') return !change.baseline || rules.onBaseline;
  return false;
}
