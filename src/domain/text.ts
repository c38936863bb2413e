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
