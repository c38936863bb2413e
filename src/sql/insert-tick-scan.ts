import type { SqlClient } from './client.js';
import type { ScanRow } from './scan-row.js';

// A continuous-mode tick's scan (SCAN_MODE=continuous): the customers due now, most urgent
// first — lower priority number, then longest overdue — at most `budget` of them, chosen in the
// statement that starts the scan. Each priority is one range of the (active, due_priority,
// due_at) index, however many customers are tracked. Nothing when nobody is due, or when a scan
// is running or the tick already made one (the unique `running_slot` and `trigger_key`).

/** The customers due now, at most `budget` (a parameter's name, `$4`), most urgent first: customer_id, priority, due_at. */
export function dueCustomersSql(budget: string): string {
  return `SELECT p.priority, d.customer_id, d.due_at
          FROM generate_series(0, 3) AS p(priority)
          CROSS JOIN LATERAL (
            SELECT customer_id, due_at FROM tracked_customers
            WHERE active AND due_priority = p.priority AND due_at <= now()
            ORDER BY due_at LIMIT ${budget}
          ) AS d
          ORDER BY p.priority, d.due_at LIMIT ${budget}`;
}

export async function insertTickScan(client: SqlClient, id: string, triggerKey: string, leaseMs: number, budget: number): Promise<ScanRow | null> {
  const { rows } = await client.query<ScanRow>(
    `WITH chosen AS (${dueCustomersSql('$4')})
     INSERT INTO scans (id, trigger, trigger_key, status, running_slot, lease_until, selection)
     SELECT $1::uuid, 'continuous', $2, 'running', 1, now() + $3 * interval '1 millisecond',
            array_agg(customer_id ORDER BY priority, due_at)
     FROM chosen
     HAVING count(*) > 0
     ON CONFLICT DO NOTHING
     RETURNING *`,
    [id, triggerKey, leaseMs, budget],
  );
  return rows[0] ?? null;
}
