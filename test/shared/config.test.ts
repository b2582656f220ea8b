import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../shared/config/index.js';
import { spawnEntry } from '../helpers/processes.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexichat-config-'));
let n = 0;
function writeConfig(yaml: string): string {
  const file = path.join(dir, `config-${n++}.yaml`);
  fs.writeFileSync(file, yaml);
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('gives safe defaults when there is no file', () => {
    const config = loadConfig({ env: { HOME: dir } });
    expect(config.mode).toBe('production');
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8000, cors_origins: [] });
    expect(config.admin.bull_board).toBe(true);
    expect(config.database.url).toBeNull();
    expect(config.database.pool.max).toBe(10);
    expect(config.server.body_limit_bytes).toBe(1024 * 1024);
  });

  it('a missing default file is fine, but a missing PLEXICHAT_CONFIG file is an error', () => {
    expect(loadConfig({ env: { HOME: path.join(dir, 'no-such-home') } }).server.port).toBe(8000);
    expect(errorOf(() => loadConfig({ env: { PLEXICHAT_CONFIG: path.join(dir, 'nope.yaml') } }))).toMatch(
      /nope\.yaml does not exist/,
    );
  });

  it('reads the YAML file named by PLEXICHAT_CONFIG', () => {
    const file = writeConfig('server:\n  port: 9100\ndatabase:\n  pool:\n    max: 3\n');
    const config = loadConfig({ env: { PLEXICHAT_CONFIG: file } });
    expect(config.server.port).toBe(9100);
    expect(config.database.pool.max).toBe(3);
    expect(config.database.pool.min).toBe(0);
  });

  it('environment variables override the file, with types converted and lists split', () => {
    const file = writeConfig('server:\n  port: 9100\n');
    const config = loadConfig({
      path: file,
      env: {
        PLEXICHAT_SERVER__PORT: '9200',
        PLEXICHAT_ADMIN__BULL_BOARD: 'false',
        PLEXICHAT_SERVER__TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16',
        PLEXICHAT_SERVER__PUBLIC_URL: 'https://chat.example.com',
        PLEXICHAT_DATABASE__URL: 'postgres://u@db:5432/x',
        OTHER: 'ignored',
      },
    });
    expect(config.server.port).toBe(9200);
    expect(config.admin.bull_board).toBe(false);
    expect(config.server.trusted_proxies).toEqual(['10.0.0.1', '192.168.0.0/16']);
    expect(config.database.url).toBe('postgres://u@db:5432/x');
  });

  it.each([
    ['server:\n  port: eighty\n', /"?server\.port"? must be a number/],
    ['server:\n  port: 70000\n', /server\.port.*less than or equal to 65535/],
    ['mode: staging\n', /mode.*must be one of/],
    ['server:\n  colour: blue\n', /server\.colour.*is not allowed/],
    ['database:\n  pool:\n    max: 0\n', /database\.pool\.max.*greater than or equal to 1/],
    ['database:\n  pool:\n    min: 20\n    max: 5\n', /database\.pool\.min/],
    ['database:\n  url: mysql://x\n', /database\.url/],
    ['redis:\n  url: http://x\n', /redis\.url/],
    ['snowflake:\n  worker_id: 32\n', /snowflake\.worker_id/],
    ['server:\n  trusted_proxies: [not-an-ip]\n', /server\.trusted_proxies\[0\]|server\.trusted_proxies\.0/],
    ['queues:\n  concurrency:\n    messages: -1\n', /queues\.concurrency\.messages/],
    ['log:\n  level: loud\n', /log\.level/],
  ])('names the bad key in %j', (yaml, pattern) => {
    const message = errorOf(() => loadConfig({ path: writeConfig(yaml), env: {} }));
    expect(message).toMatch(pattern);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('names the environment variable a bad value came from, and unknown variables', () => {
    const file = writeConfig('');
    expect(errorOf(() => loadConfig({ path: file, env: { PLEXICHAT_SERVER__PORT: 'x' } }))).toMatch(
      /server\.port.*\(from PLEXICHAT_SERVER__PORT\)/,
    );
    expect(errorOf(() => loadConfig({ path: file, env: { PLEXICHAT_SERVR__PORT: '1' } }))).toMatch(
      /servr.*not allowed/,
    );
  });

  it('ignores the PLEXICHAT_* variables that are not settings', () => {
    const env = { PLEXICHAT_ADMIN_PASSWORD: 'x', PLEXICHAT_TEST_DATABASE_URL: 'y', HOME: dir };
    expect(loadConfig({ env }).server.port).toBe(8000);
  });

  it('reports every bad key at once, on one line', () => {
    const message = errorOf(() =>
      loadConfig({ path: writeConfig('server:\n  port: x\nmode: y\n'), env: {} }),
    );
    expect(message).toMatch(/server\.port/);
    expect(message).toMatch(/mode/);
    expect(message).not.toContain('\n');
  });

  it('rejects a file that is not YAML or not a mapping', () => {
    expect(errorOf(() => loadConfig({ path: writeConfig('server: [unclosed\n'), env: {} }))).toMatch(
      /cannot parse/,
    );
    expect(errorOf(() => loadConfig({ path: writeConfig('- a\n- b\n'), env: {} }))).toMatch(/mapping/);
  });

  it('the example config in the repository is valid', () => {
    const example = path.resolve('config.example.yaml');
    expect(() => loadConfig({ path: example, env: {} })).not.toThrow();
  });

  it('a role refuses to start on a bad value, printing one line that names the key', async () => {
    const proc = spawnEntry('api/main.ts', { PLEXICHAT_CONFIG: writeConfig('server:\n  port: 99999\n') });
    const code = await proc.exited;
    expect(code).toBe(1);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^plexichat: config: .*server\.port/);
  });
});

describe('production safety', () => {
  const load = (overrides: Record<string, unknown>, mode = 'production') =>
    loadConfig({ env: { HOME: dir }, overrides: { mode, ...overrides } });

  it('accepts the defaults and a proper TLS-proxied deployment', () => {
    expect(load({}).mode).toBe('production');
    const proxied = load({
      server: { host: '0.0.0.0', public_url: 'https://chat.example.com', trusted_proxies: ['10.0.0.2'] },
      security: { secret_key: Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64') },
    });
    expect(proxied.server.host).toBe('0.0.0.0');
  });

  it.each([
    [{ server: { host: '0.0.0.0' } }, /server\.host 0\.0\.0\.0 serves plain HTTP.*TLS/],
    [{ server: { host: '0.0.0.0', public_url: 'http://chat.example.com' } }, /plain HTTP/],
    [{ server: { public_url: 'https://chat.example.com' } }, /server\.trusted_proxies is empty/],
    [
      { server: { public_url: 'https://c.example.com', trusted_proxies: ['0.0.0.0/0'] } },
      /trusts every address/,
    ],
    [{ server: { cors_origins: ['*'] } }, /cors_origins is "\*"/],
    [{ security: { secret_key: Buffer.alloc(32, 7).toString('base64') } }, /secret_key is a placeholder/],
    [{ metrics: { allow_cidrs: ['0.0.0.0/0'] } }, /metrics\.allow_cidrs/],
    [{ outbound: { allow_private: ['::/0'] } }, /outbound\.allow_private/],
    [{ rate_limits: { enabled: false } }, /rate_limits\.enabled is false/],
    [{ security: { scrypt_cost: 15 } }, /security\.scrypt_cost is 15: below OWASP/],
    [{ email: { smtp_url: 'smtp://mail.example.com:587' } }, /email\.smtp_url is set but server\.public_url/],
    [{ server: { trusted_proxies: ['127.0.0.1'] } }, /server\.trusted_proxies lists a proxy.*public_url/],
    [{ security: { throttle_exempt_cidrs: ['0.0.0.0/0'] } }, /throttle_exempt_cidrs exempts every address/],
    [
      { storage: { driver: 's3', s3: { access_key_id: 'minioadmin', secret_access_key: 'minioadmin' } } },
      /example credential/,
    ],
  ])('refuses %j with a message naming the key', (overrides, message) => {
    const text = errorOf(() => load(overrides));
    expect(text).toMatch(/unsafe for production/);
    expect(text).toMatch(message);
    // The same settings run in development mode, for machines without real users.
    expect(load(overrides, 'development').mode).toBe('development');
  });

  it('lists every problem at once', () => {
    const text = errorOf(() =>
      load({ server: { host: '0.0.0.0', cors_origins: ['*'] }, rate_limits: { enabled: false } }),
    );
    expect(text).toMatch(/plain HTTP.*cors_origins.*rate_limits/);
  });
});

describe('account lifecycle settings', () => {
  const load = (overrides: Record<string, unknown>) =>
    loadConfig({ env: { HOME: dir }, overrides: { mode: 'test', ...overrides } });

  it('defaults to no mail and open registration, and names a bad email or auth key', () => {
    const config = load({});
    expect(config.email).toEqual({ smtp_url: null, from: 'Plexichat <noreply@localhost>' });
    expect(config.auth).toMatchObject({ registration: 'open', require_verified_email: false });
    expect(errorOf(() => load({ email: { smtp_url: 'http://mail.example.com' } }))).toMatch(
      /email\.smtp_url/,
    );
    expect(errorOf(() => load({ email: { from: 'nobody' } }))).toMatch(/email\.from/);
    expect(errorOf(() => load({ auth: { registration: 'sometimes' } }))).toMatch(/auth\.registration/);
  });
});
