// Email recipients and per-purpose routing (ALERT_TO, ALERT_ROUTES, OPS_ALERT_TO, ALERT_FROM).

export type AlertRoutes = ReadonlyMap<string, readonly string[]>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

// Plain addresses only: a dot-atom before the @ (RFC 5322 atext, single dots between) and a
// host name after it. Anything richer — comments `a(x)b@x`, groups `x:y@x`, quoted local parts,
// `a..b@x` — nodemailer's address parser rewrites or the server reads otherwise, so an alert
// would reach someone else than configured, or no one.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Why `text` is not a plain email address, or null when it is one. */
export function addressProblem(text: string): string | null {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return 'is not an email address';
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (!LOCAL_PART.test(local)) {
    return "is not a plain email address: before the @ only letters, digits, !#$%&'*+/=?^_`{|}~- and single dots between them";
  }
  if (local.length > 64 || text.length > 254) return 'is too long for an email address';
  if (domain.length > 253 || !domain.split('.').every((label) => label.length <= 63 && LABEL.test(label))) {
    return 'is not an email address: after the @ a host name (letters, digits, hyphens, dots between labels)';
  }
  return null;
}

export function parseRecipients(text: string): Parsed<string[]> {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return { ok: false, error: 'no email address given' };
  for (const part of parts) {
    const problem = addressProblem(part);
    if (problem) return { ok: false, error: `"${part}" ${problem}` };
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
