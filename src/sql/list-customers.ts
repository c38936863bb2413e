import type { SqlClient } from './client.js';

// A page of tracked customers in id order, after `after`, with their last check.

export interface CustomerRow {
  customerId: string;
  active: boolean;
  addedAt: Date;
  lastCheckedAt: Date | null;
  lastOutcome: string | null;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface ListCustomers {
  after?: string | null;
  limit: number;
  failingOnly?: boolean;
  includeInactive?: boolean;
}

export async function listCustomers(client: SqlClient, options: ListCustomers): Promise<CustomerRow[]> {
  const { rows } = await client.query<CustomerRow>(
    `SELECT customer_id AS "customerId", active, added_at AS "addedAt", last_checked_at AS "lastCheckedAt",
            last_outcome AS "lastOutcome", last_error AS "lastError", consecutive_failures AS "consecutiveFailures"
     FROM tracked_customers
     WHERE ($1 OR active) AND (NOT $2 OR last_outcome = 'failed') AND ($3::text IS NULL OR customer_id > $3)
     ORDER BY customer_id LIMIT $4`,
    [options.includeInactive ?? false, options.failingOnly ?? false, options.after ?? null, options.limit],
  );
  return rows;
}
