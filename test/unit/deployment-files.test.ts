import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_SECTIONS, parseConfig } from '../../src/config.js';
import { composeFile, composeText, dockerfileHealthcheck, healthcheckPort, hostPortOf, type ComposeService } from '../support/compose.js';

// No Docker engine runs here, so the compose file and the Dockerfile are checked for structure
// and wiring, so that they cannot rot silently. test/e2e/compose-commands.test.ts runs the
// commands they run, natively.

const compose = composeFile();
const services = compose.services;
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const service = (name: string): ComposeService => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name} in docker-compose.yml`);
  return found;
};
const argAfter = (args: readonly string[], flag: string) => args[args.indexOf(flag) + 1];

describe('docker-compose.yml', () => {
  it('is YAML that parses, with the services of SPEC §7', () => {
    expect(() => parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'))).not.toThrow();
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'mailpit', 'sandbox', 'seed', 'worker']));
    expect(service('postgres').image).toMatch(/^postgres:\d+/);
    expect(service('redis').image).toMatch(/^redis:\d+/);
    expect(service('mailpit').ports).toContain('8025:8025');
    for (const name of ['sandbox', 'seed', 'worker']) expect(service(name).build).toBe('.');
  });

  it('pins the Mailpit image to a release', () => {
    expect(service('mailpit').image).toMatch(/^axllent\/mailpit:v\d+\.\d+\.\d+$/);
  });

  it('runs Redis with AOF and no eviction (queues must not lose jobs)', () => {
    const command = (service('redis').command as string[]).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('wires the worker to the other services with a configuration kyc-monitor accepts', () => {
    const env = service('worker').environment ?? {};
    expect(() => parseConfig(env, ALL_SECTIONS)).not.toThrow();
    expect(new URL(env.DATABASE_URL ?? '').hostname).toBe('postgres');
    expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
    expect(new URL(env.SMTP_URL ?? '')).toMatchObject({ hostname: 'mailpit', port: '1025' });
    const sandboxCommand = service('sandbox').command as string[];
    expect(sandboxCommand[0]).toBe('sandbox');
    expect(argAfter(sandboxCommand, '--host')).toBe('0.0.0.0');
    expect(env.CYREXA_BASE_URL).toBe(`http://sandbox:${argAfter(sandboxCommand, '--port')}`);
    expect(env.CYREXA_TENANT_ID).toBe('sandbox-tenant');
    expect(Number(env.SCAN_EVERY_SECONDS)).toBeLessThanOrEqual(60);
    expect(service('worker').depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' }, seed: { condition: 'service_completed_successfully' } });
  });

  it('gives each service built from the image a healthcheck of its own port (the image probes the worker port)', () => {
    expect(dockerfileHealthcheck(dockerfile)).toBeDefined();
    const sandboxPort = Number(argAfter(service('sandbox').command as string[], '--port'));
    expect(healthcheckPort(service('sandbox'))).toBe(sandboxPort);
    expect(healthcheckPort(service('worker'))).toBe(Number(service('worker').environment?.HTTP_PORT ?? 8080));
    expect(service('seed').healthcheck).toEqual({ disable: true });
    for (const name of ['postgres', 'redis']) expect(service(name).healthcheck?.test?.[0]).toBe('CMD');
  });

  it('lets the worker scale (--scale worker=3): no fixed host port, metrics on loopback only', () => {
    const worker = service('worker');
    expect(worker.container_name).toBeUndefined();
    for (const port of worker.ports ?? []) {
      expect(hostPortOf(port), port).toBe('');
      expect(port.startsWith('127.0.0.1:'), port).toBe(true);
    }
  });

  it('seeds once the sandbox is healthy, and does not retry a failure in a loop', () => {
    const seed = service('seed');
    expect(seed.environment).toEqual(service('worker').environment);
    expect(seed.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, sandbox: { condition: 'service_healthy' } });
    expect(seed.restart ?? 'no').toBe('no');
    expect(seed.entrypoint).toEqual(['sh', '-c']);
    const script = String(seed.command);
    expect(script).toMatch(/kyc-monitor migrate/);
    expect(script).toMatch(/kyc-monitor track import/);
    // Values come from the container's environment: `$$` (compose would fill a single `$` from the host's).
    expect(() => composeText(script)).not.toThrow();
  });
});

describe('Dockerfile', () => {
  it('builds in stages on Node 24 slim and runs non-root with production dependencies only', () => {
    expect(dockerfile.match(/^FROM node:24-slim AS \w+/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfileHealthcheck(dockerfile)?.join(' ')).toMatch(/\/healthz/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/bin\/kyc-monitor"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["worker"\]$/m);
  });

  it('puts kyc-monitor on PATH, as the compose commands call it', () => {
    expect(dockerfile).toMatch(/^ENV PATH=\/app\/bin:\$PATH$/m);
  });
});
