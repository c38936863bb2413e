import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_SECTIONS, parseConfig } from '../../src/config.js';

// No Docker engine runs here, so the compose file and the Dockerfile are checked for structure
// and wiring, so that they cannot rot silently.

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
}
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const services = compose.services;

describe('docker-compose.yml', () => {
  it('brings up Postgres, Redis, Mailpit, the sandbox and the worker', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'mailpit', 'sandbox', 'worker']));
    expect(services.postgres?.image).toMatch(/^postgres:/);
    expect(services.mailpit?.image).toMatch(/^axllent\/mailpit/);
    expect(services.mailpit?.ports).toContain('8025:8025');
    expect(services.worker?.build).toBe('.');
    expect(services.sandbox?.build).toBe('.');
  });

  it('runs Redis with AOF and no eviction (queues must not lose jobs)', () => {
    const command = (services.redis?.command as string[]).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('wires the worker to the other services with a configuration kyc-monitor accepts', () => {
    const env = services.worker?.environment ?? {};
    expect(() => parseConfig(env, ALL_SECTIONS)).not.toThrow();
    expect(new URL(env.DATABASE_URL ?? '').hostname).toBe('postgres');
    expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
    expect(new URL(env.SMTP_URL ?? '')).toMatchObject({ hostname: 'mailpit', port: '1025' });
    const sandboxCommand = services.sandbox?.command as string[];
    const sandboxPort = sandboxCommand[sandboxCommand.indexOf('--port') + 1];
    expect(sandboxCommand).toContain('sandbox');
    expect(sandboxCommand[sandboxCommand.indexOf('--host') + 1]).toBe('0.0.0.0');
    expect(env.CYREXA_BASE_URL).toBe(`http://sandbox:${sandboxPort}`);
    expect(env.CYREXA_TENANT_ID).toBe('sandbox-tenant');
    expect(Number(env.SCAN_EVERY_SECONDS)).toBeLessThanOrEqual(60);
    expect(services.worker?.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('tracks the sandbox customers before the worker starts', () => {
    const seed = services.seed;
    expect(seed?.environment).toEqual(services.worker?.environment);
    expect(String(seed?.command)).toMatch(/migrate .*_sandbox\/customers.*track import -/s);
    expect(services.worker?.depends_on?.seed?.condition).toBe('service_completed_successfully');
  });
});

describe('Dockerfile', () => {
  it('builds in stages on Node 24 slim and runs non-root with production dependencies only', () => {
    expect(dockerfile.match(/^FROM node:24-slim AS \w+/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/healthz/ms);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/bin\/kyc-monitor"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["worker"\]$/m);
  });
});
