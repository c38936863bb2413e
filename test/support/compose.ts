import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

// docker-compose.yml and the Dockerfile as data, for the tests that check them (no Docker
// engine runs here): their structure, and the commands they run, run natively.

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  container_name?: string;
}

export function composeFile(): { services: Record<string, ComposeService> } {
  return parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, ComposeService> };
}

export function dockerfile(): string {
  return readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
}

/** The Dockerfile's HEALTHCHECK command (exec form), continuation lines joined. */
export function dockerfileHealthcheck(text: string): string[] | undefined {
  const joined = text.replace(/\\\n\s*/g, '');
  const json = /^HEALTHCHECK .*?CMD (\[.*\])$/m.exec(joined)?.[1];
  return json ? (JSON.parse(json) as string[]) : undefined;
}

/** The port a healthcheck probes: a literal `127.0.0.1:N`, or the `HTTP_PORT || N` default. */
export function healthcheckPort(service: ComposeService): number | undefined {
  const text = (service.healthcheck?.test ?? []).join(' ');
  const port = /127\.0\.0\.1:(\d+)/.exec(text)?.[1] ?? /HTTP_PORT \|\| (\d+)/.exec(text)?.[1];
  return port === undefined ? undefined : Number(port);
}

/** The host port of a short-syntax port mapping (`8080`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`); '' when Docker picks one. */
export function hostPortOf(mapping: string): string {
  const parts = mapping.split(':');
  return parts.length === 1 ? '' : (parts.at(-2) ?? '');
}

/**
 * What a container's process gets from compose: `$$` is a literal `$`. A single `$` would be
 * filled from the host's environment: refused here, since none of ours relies on it.
 */
export function composeText(text: string): string {
  if (text.replace(/\$\$/g, '').includes('$')) throw new Error(`unescaped $ in a compose value: ${text}`);
  return text.replace(/\$\$/g, '$');
}
