import fs from 'node:fs';
import { parse } from 'yaml';
import path from 'node:path';
import { ROOT } from './processes.js';

/**
 * The production topology, described once: the topology test starts these processes behind
 * deploy/nginx.conf, and the compose check holds docker-compose.yml and deploy/nginx.conf to it.
 */
export type Role = 'api' | 'gateway' | 'workers' | 'voice';

/** One process of the deployment. */
export interface TopologyService {
  /** Its docker-compose service name, which deploy/nginx.conf's upstreams name as the host. */
  service: string;
  role: Role;
  /** The port it listens on in the deployment (the test gives each a free port instead). */
  port: number;
  /** Settings of this process alone (beyond those every process shares). */
  env: Record<string, string>;
}

/** Which setting holds each role's listening port (workers have only a metrics listener, their healthcheck). */
export const PORT_SETTING: Record<Role, string> = {
  api: 'PLEXICHAT_SERVER__PORT',
  gateway: 'PLEXICHAT_GATEWAY__PORT',
  workers: 'PLEXICHAT_METRICS__PORT',
  voice: 'PLEXICHAT_VOICE__PORT',
};

// Snowflake worker ids are explicit until they are leased from Redis: two minting processes must differ.
export const TOPOLOGY: readonly TopologyService[] = [
  { service: 'api-1', role: 'api', port: 8000, env: { PLEXICHAT_SNOWFLAKE__WORKER_ID: '1' } },
  { service: 'api-2', role: 'api', port: 8000, env: { PLEXICHAT_SNOWFLAKE__WORKER_ID: '2' } },
  { service: 'gateway-1', role: 'gateway', port: 8001, env: {} },
  { service: 'gateway-2', role: 'gateway', port: 8001, env: {} },
  { service: 'workers-1', role: 'workers', port: 9464, env: { PLEXICHAT_SNOWFLAKE__WORKER_ID: '3' } },
  { service: 'workers-2', role: 'workers', port: 9464, env: { PLEXICHAT_SNOWFLAKE__WORKER_ID: '4' } },
  { service: 'voice', role: 'voice', port: 8002, env: {} },
];

/** The nginx upstream that fronts each role with a listener (workers have none). */
export const UPSTREAM_OF: Record<Exclude<Role, 'workers'>, string> = {
  api: 'plexichat_api',
  gateway: 'plexichat_gateway',
  voice: 'plexichat_voice',
};

/** The command a deployment runs for a role (built JavaScript)... */
export const deployedCommand = (role: Role): string[] => ['node', `dist/${role}/main.js`];
/** ...and the same entry point from source, as the test runs it under tsx. */
export const sourceEntry = (role: Role): string => `${role}/main.ts`;

/** The shipped proxy configuration and compose file. */
export const NGINX_CONF_PATH = path.join(ROOT, 'deploy', 'nginx.conf');
export const COMPOSE_PATH = path.join(ROOT, 'docker-compose.yml');

/** The `server` addresses of each `upstream` block of an nginx configuration, in order. */
export function nginxUpstreams(conf: string): Map<string, string[]> {
  const upstreams = new Map<string, string[]>();
  for (const block of conf.matchAll(/^\s*upstream\s+(\S+)\s*\{([^}]*)\}/gm)) {
    const servers = [...(block[2] ?? '').matchAll(/^\s*server\s+([^\s;]+)[^;]*;/gm)].map(
      (m) => m[1] as string,
    );
    upstreams.set(block[1] as string, servers);
  }
  return upstreams;
}

/**
 * deploy/nginx.conf for processes on this machine: each upstream `server <service>:<port>` becomes
 * the 127.0.0.1 port that service's process listens on, and `listen` the proxy's own port. Throws
 * when the file and the topology disagree, so the test cannot drift from the shipped file.
 */
export function localNginxConf(listenPort: number, ports: ReadonlyMap<string, number>): string {
  const shipped = fs.readFileSync(NGINX_CONF_PATH, 'utf8');
  let listens = 0;
  const rendered = shipped
    .replace(/^(\s*)listen\s+80;/m, (_m, indent: string) => {
      listens++;
      return `${indent}listen 127.0.0.1:${listenPort};`;
    })
    .replace(
      /^(\s*server\s+)([a-z0-9-]+):(\d+)(.*;)$/gm,
      (_m, head: string, host: string, port: string, tail: string) => {
        const service = TOPOLOGY.find((s) => s.service === host && String(s.port) === port);
        const local = ports.get(host);
        if (!service || local === undefined)
          throw new Error(`deploy/nginx.conf names ${host}:${port}, not in the topology`);
        return `${head}127.0.0.1:${local}${tail}`;
      },
    );
  if (listens !== 1) throw new Error('deploy/nginx.conf must have exactly one `listen 80;`');
  return rendered;
}

/** A service of docker-compose.yml, as far as the checks read it (YAML merge keys applied). */
export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  networks?: string[] | Record<string, { ipv4_address?: string }>;
}

/**
 * docker-compose.yml's services, with `${VAR:-default}` replaced by its default as compose would
 * with the variable unset.
 */
export function composeServices(): Record<string, ComposeService> {
  const text = fs.readFileSync(COMPOSE_PATH, 'utf8').replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
  return (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** The URL a service's compose healthcheck fetches (`node dist/shared/healthcheck-cli.js <url>`). */
export function healthcheckUrl(service: ComposeService | undefined): string {
  const url = service?.healthcheck?.test.find((part) => /^https?:\/\//.test(part));
  if (!url) throw new Error('no healthcheck URL');
  return url;
}
