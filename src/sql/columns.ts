// Rows handed to a statement as one array per column (for `unnest($n::type[], …)`): the
// statement's text, and its cost to plan, stay the same for one row or thousands.

export function columns<R, K extends keyof R>(rows: readonly R[], keys: readonly K[]): Array<Array<R[K]>> {
  return keys.map((key) => rows.map((row) => row[key]));
}
