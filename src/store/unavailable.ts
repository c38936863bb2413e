// Whether an error says the database cannot be reached for now, rather than that what was asked
// is wrong: no imports, so that anyone may ask without loading the database's modules.

/**
 * The database cannot be reached for now (down, restarting, refusing connections, a connection
 * cut): worth trying again shortly, unlike an error in what was asked.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isConnectionFailure(error)) return true;
  const code = (error as { code?: unknown }).code;
  // 53300: too many connections. The rest: the socket's own failures.
  return typeof code === 'string' && ['53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code);
}

/** A connection broken or refused by the server (SQLSTATE 08, 57P), or pg's own socket failure. */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P'))) return true;
  // pg's own socket failures and its query_timeout carry no SQLSTATE.
  return error instanceof Error && /Connection terminated|Query read timeout|timeout exceeded when trying to connect/i.test(error.message);
}
