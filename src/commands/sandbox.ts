import { Sandbox } from '../sandbox/server.js';
import { EXIT_FAILURE, EXIT_OK, writeErr, writeOut } from './context.js';
import { programPath } from './output.js';

export interface SandboxCommandOptions {
  port: number;
  customers: number;
  latencyMs: number;
  seed: number;
  timeScale: number;
  /** ms; default: now. */
  timeOrigin?: number;
  tenantId?: string;
  accessToken?: string;
  token?: string;
  host: string;
  rateLimit?: number;
}

/** A listen failure as one line naming the port and the option that changes it. */
function listenProblem(error: NodeJS.ErrnoException, options: SandboxCommandOptions): string | null {
  const where = `port ${options.port} on ${options.host}`;
  if (error.code === 'EADDRINUSE') return `${where} is in use: choose another with --port`;
  if (error.code === 'EACCES') return `${where} needs privileges this user lacks: choose a port above 1023 with --port`;
  if (error.code === 'EADDRNOTAVAIL') return `${options.host} is not an address of this machine: choose another with --host`;
  return null;
}

function worldPace(scale: number): string {
  if (scale === 0) return 'world time stands still';
  if (scale === 1) return 'world time runs in real time';
  const secondsPerDay = 86_400 / scale;
  const day = secondsPerDay >= 1 ? `a day every ${Number(secondsPerDay.toPrecision(3))} s` : `${Number((1 / secondsPerDay).toPrecision(3))} days a second`;
  return `world time runs ${scale} times faster than real time (${day})`;
}

export async function sandboxCommand(options: SandboxCommandOptions): Promise<number> {
  let sandbox: Sandbox;
  try {
    sandbox = await new Sandbox({
      port: options.port,
      host: options.host,
      customers: options.customers,
      latencyMs: options.latencyMs,
      seed: options.seed,
      timeScale: options.timeScale,
      origin: options.timeOrigin ?? Date.now(),
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
      ...(options.accessToken ? { accessToken: options.accessToken } : {}),
      ...(options.token ? { tokenHeader: options.token } : {}),
      ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    }).start();
  } catch (error) {
    const problem = listenProblem(error as NodeJS.ErrnoException, options);
    if (problem === null) throw error;
    writeErr(problem);
    return EXIT_FAILURE;
  }
  const program = programPath();
  // The credentials to export: the ones the sandbox was told to require (named, never printed), or any.
  const exports = [
    `CYREXA_BASE_URL=${sandbox.url}`,
    `CYREXA_TENANT_ID=${sandbox.options.tenantId}`,
    `CYREXA_ACCESS_TOKEN=${options.accessToken ? '"<the --access-token value>"' : 'sandbox-token'}`,
    ...(options.token ? ['CYREXA_TOKEN="<the --token value>"'] : []),
    // The monitor counts days to expiry dates on the same clock as the world.
    ...(options.timeScale !== 1 ? [`TIME_SCALE=${options.timeScale}`, `TIME_ORIGIN=${new Date(sandbox.options.origin).toISOString()}`] : []),
  ];
  writeOut(
    [
      `Cyrexa sandbox listening on ${sandbox.url} (Ctrl-C stops it)`,
      `  ${options.customers} generated customers (cust-000001 …); their documents settle, expire on the dates in their metadata and are renewed`,
      `  ${worldPace(options.timeScale)}; ${sandbox.url}/_sandbox/changes lists what changed when`,
      `  tenant id: ${sandbox.options.tenantId}; bearer token: ${options.accessToken ? 'the --access-token value' : 'any'}; token header: ${options.token ? 'the --token value' : 'any'}`,
      ...(options.rateLimit !== undefined ? [`  at most ${options.rateLimit} API requests a second; more get 429 (Retry-After: 1)`] : []),
      '',
      'Point kyc-monitor at it (from this directory, in another terminal):',
      `  export ${exports.join(' ')}`,
      `  ${program} migrate`,
      `  curl -s ${sandbox.url}/_sandbox/customers | ${program} track import -`,
      `  ${program} scan      # with ALERT_TO and SMTP_URL set too (README)`,
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await sandbox.close();
  return EXIT_OK;
}
