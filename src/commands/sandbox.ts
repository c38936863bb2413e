import { Sandbox } from '../sandbox/server.js';
import { EXIT_OK, writeOut } from './context.js';

export interface SandboxCommandOptions {
  port: number;
  customers: number;
  latencyMs: number;
  seed: number;
  epochSeconds: number;
  tenantId?: string;
  accessToken?: string;
  token?: string;
  host: string;
  rateLimit?: number;
}

export async function sandboxCommand(options: SandboxCommandOptions): Promise<number> {
  const sandbox = await new Sandbox({
    port: options.port,
    host: options.host,
    customers: options.customers,
    latencyMs: options.latencyMs,
    seed: options.seed,
    epochMs: options.epochSeconds * 1000,
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    ...(options.token ? { tokenHeader: options.token } : {}),
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
  }).start();
  writeOut(
    [
      `Cyrexa sandbox listening on ${sandbox.url}`,
      `  ${options.customers} generated customers (cust-000001 …), statuses move every ${options.epochSeconds} s`,
      `  tenant id: ${sandbox.options.tenantId}; any non-empty bearer token and token header are accepted unless set`,
      ...(options.rateLimit !== undefined ? [`  at most ${options.rateLimit} getDocuments requests a second; more get 429 (Retry-After: 1)`] : []),
      `  CYREXA_BASE_URL=${sandbox.url}`,
      `  customer ids: curl ${sandbox.url}/_sandbox/customers | kyc-monitor track import -`,
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await sandbox.close();
  return EXIT_OK;
}
