// Customer ids (SPEC §3): 1–128 characters, the first a letter or digit, the rest letters,
// digits, `_`, `.`, `-`. Checked before any request is made.

const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isValidCustomerId(id: string): boolean {
  return CUSTOMER_ID.test(id);
}

/** Why an id is invalid, in words for the operator; null when it is valid. */
export function customerIdProblem(id: string): string | null {
  if (id.length === 0) return 'is empty';
  if (id.length > 128) return `is ${id.length} characters long (at most 128)`;
  if (!/^[A-Za-z0-9]/.test(id)) return 'must start with a letter or digit';
  const bad = [...id].find((c) => !/[A-Za-z0-9_.-]/.test(c));
  if (bad !== undefined) return `contains ${describeChar(bad)} (allowed: letters, digits, _ . -)`;
  return null;
}

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  if (c === ' ') return 'a space';
  return `"${c}"`;
}

/** Quotes an id for a message: control characters and overlong ids must not garble the output. */
export function displayId(id: string): string {
  const shown = JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id);
  return shown;
}
