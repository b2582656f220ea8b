import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../shared/config/index.js';
import { ROOT } from '../helpers/processes.js';
import {
  NGINX_CONF_PATH,
  PORT_SETTING,
  TOPOLOGY,
  UPSTREAM_OF,
  composeServices,
  deployedCommand,
  healthcheckUrl,
  nginxUpstreams,
  type ComposeService,
} from '../helpers/topology.js';

// The build machines have no Docker engine: docker-compose.yml, deploy/nginx.conf and the
// Dockerfile are read and held to the topology test/topology/behind-nginx.test.ts runs.

const services = composeServices();
const nginxConf = fs.readFileSync(NGINX_CONF_PATH, 'utf8');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const service = (name: string): ComposeService => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

describe('docker-compose.yml runs the tested topology', () => {
  it('has exactly the tested role processes, each with its command, port and settings', () => {
    const roleServices = Object.entries(services)
      .filter(([, s]) => s.command?.[1]?.match(/^dist\/(api|gateway|workers|voice)\/main\.js$/))
      .map(([name]) => name);
    expect(roleServices.sort()).toEqual(TOPOLOGY.map((s) => s.service).sort());
    for (const t of TOPOLOGY) {
      const s = service(t.service);
      expect([t.service, s.command]).toEqual([t.service, deployedCommand(t.role)]);
      expect(s.environment).toMatchObject({ [PORT_SETTING[t.role]]: String(t.port), ...t.env });
      // The healthcheck probes the port the process listens on, with a script the image has.
      expect(s.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'node', 'dist/shared/healthcheck-cli.js']);
      expect(healthcheckUrl(s)).toContain(`//127.0.0.1:${t.port}/`);
    }
  });

  it('gives every role process a configuration that passes validation', () => {
    for (const t of TOPOLOGY) {
      const env = {
        HOME: path.join(os.tmpdir(), 'plexichat-compose-check'),
        ...service(t.service).environment,
      };
      expect(() => loadConfig({ env })).not.toThrow();
    }
  });

  it('puts nginx in front with deploy/nginx.conf, trusted by every process, on one published port', () => {
    const nginx = service('nginx');
    expect(nginx.volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    expect(nginx.ports).toHaveLength(1);
    const address = (nginx.networks as Record<string, { ipv4_address?: string }>).plexichat?.ipv4_address;
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const t of TOPOLOGY) {
      expect([t.service, service(t.service).environment?.PLEXICHAT_SERVER__TRUSTED_PROXIES]).toEqual([
        t.service,
        address,
      ]);
      // Only nginx is published: clients never reach a role process but through it (voice media aside).
      expect([
        t.service,
        service(t.service).ports?.filter((p) => !p.endsWith('/udp') && !p.endsWith('/tcp')),
      ]).toEqual([t.service, t.role === 'voice' ? [] : undefined]);
    }
    // nginx resolves its upstreams on start: it waits for every process behind it.
    const behind = TOPOLOGY.filter((t) => t.role !== 'workers').map((t) => t.service);
    expect(Object.keys(nginx.depends_on ?? {}).sort()).toEqual(behind.sort());
  });

  it('routes each upstream of deploy/nginx.conf to the tested processes of its role', () => {
    const upstreams = nginxUpstreams(nginxConf);
    for (const [role, upstream] of Object.entries(UPSTREAM_OF)) {
      const expected = TOPOLOGY.filter((t) => t.role === role).map((t) => `${t.service}:${t.port}`);
      expect([upstream, upstreams.get(upstream)]).toEqual([upstream, expected]);
    }
    expect(nginxConf).toMatch(/upstream plexichat_gateway \{\s*hash \$remote_addr consistent;/);
    expect(nginxConf).toMatch(/location \/gateway\/ \{\s*proxy_pass http:\/\/plexichat_gateway;/);
    expect(nginxConf).toMatch(
      /location ~ \^\/\(voice-signal\|socket\\\.io\)\/ \{\s*proxy_pass http:\/\/plexichat_voice;/,
    );
    expect(nginxConf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginxConf).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  });

  it('runs Redis with AOF and no eviction, and publishes the voice RTC range it configures', () => {
    const redis = service('redis').command?.join(' ');
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    const voice = service('voice');
    const { PLEXICHAT_VOICE__RTC_MIN_PORT: min, PLEXICHAT_VOICE__RTC_MAX_PORT: max } =
      voice.environment ?? {};
    expect(voice.ports).toEqual([`${min}-${max}:${min}-${max}/udp`, `${min}-${max}:${min}-${max}/tcp`]);
    expect(voice.environment).toMatchObject({
      PLEXICHAT_VOICE__LISTEN_IP: '0.0.0.0',
      PLEXICHAT_VOICE__ANNOUNCED_IP: expect.any(String),
    });
    // Raw text: the announced address is the operator's to set.
    expect(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')).toMatch(
      /PLEXICHAT_VOICE__ANNOUNCED_IP: \$\{PLEXICHAT_ANNOUNCED_IP:-[^}]+\}/,
    );
  });

  it('builds on a supported Node LTS, with mediasoup’s worker built and carried into the final image', () => {
    const nodeImages = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(nodeImages.length).toBeGreaterThanOrEqual(2);
    // Even majors are LTS; Node 20 reached end of life in April 2026, 22 ends in April 2027.
    for (const major of nodeImages) expect(major).toBe(24);
    expect(dockerfile).toMatch(/^FROM python:3\.9-/m);
    expect(dockerfile).toMatch(/ENV PLEXICHAT_CACHE_DIR=\/app\/\.cache/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/\.cache \.\/\.cache/);
    expect(fs.existsSync(path.join(ROOT, 'shared', 'healthcheck-cli.ts'))).toBe(true);
  });
});
