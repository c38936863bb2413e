// Email recipients and per-purpose routing (ALERT_TO, ALERT_ROUTES, OPS_ALERT_TO).

export type AlertRoutes = ReadonlyMap<string, readonly string[]>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

// Deliberately plain: one @, no spaces or angle brackets, a dot in the domain or localhost.
const ADDRESS = /^[^\s@<>,;"]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)$/;

export function parseRecipients(text: string): Parsed<string[]> {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return { ok: false, error: 'no email address given' };
  for (const part of parts) {
    if (!ADDRESS.test(part)) return { ok: false, error: `"${part}" is not an email address` };
  }
  return { ok: true, value: [...new Set(parts.map((p) => p.toLowerCase()))] };
}

export function isValidPurposeKey(purpose: string): boolean {
  return /^[A-Za-z0-9&_-]{1,64}$/.test(purpose);
}

/** Recipients of a document alert: the purpose's route, else ALERT_TO. */
export function recipientsFor(purpose: string, routes: AlertRoutes, fallback: readonly string[]): readonly string[] {
  return routes.get(purpose) ?? fallback;
}

/** A stable key for a set of recipients: alerts with equal keys go out in one email. */
export function recipientsKey(recipients: readonly string[]): string {
  return [...recipients].sort().join(',');
}
