// Text from outside, made safe for where it goes.

const REPLACEMENT = '\uFFFD';

/**
 * Text Postgres can store: NUL (valid in JSON, refused by Postgres text columns) and lone
 * surrogates (not encodable in UTF-8) become U+FFFD, as other invalid text does. Costs two
 * native scans when there is nothing to replace: this runs on every field of every document.
 */
export function storableText(text: string): string {
  if (text.isWellFormed() && !text.includes('\u0000')) return text;
  return text.toWellFormed().replaceAll('\u0000', REPLACEMENT);
}

// Every character a terminal may act on, but the line break and the tab: the other C0 controls
// (ESC starts a screen-clearing or clipboard-writing sequence, CR overwrites a line, BEL rings),
// DEL, the C1 controls (U+009B is a CSI of its own on some terminals) and the bidi overrides and
// isolates (text that reads other than it is).
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text safe to show on a terminal: each such character written as its `\uXXXX` escape, visible
 * and inert. The escape is JSON's own, so a JSON document stays exact through this function.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
