// The seam every raw SQL statement goes through (Graphile Worker's `withPgClient`): a statement
// file receives a client, never a pool, so the same statement runs alone or inside a
// transaction that the caller opened.

export interface SqlClient {
  query<R extends object = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>;
}

export type WithClient = <T>(fn: (client: SqlClient) => Promise<T>) => Promise<T>;
