import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';

const origin = 'http://client.example.com';

const app = useTestApp(
  {
    config: testConfig({ server: { cors_origins: [origin] } }),
    workers: false,
    gateway: false,
  },
  60_000,
);
const closed = useTestApp({ workers: false, gateway: false }, 60_000);

describe('CORS on the REST API', () => {
  it('answers a listed origin’s preflight with the methods and the Authorization header', async () => {
    const res = await fetch(`${app.api}/users/@me`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });

  it('lets the listed origin read the answer and the rate-limit headers', async () => {
    const res = await fetch(`${app.api}/version`, { headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/X-RateLimit-Remaining/);
  });

  it('gives other origins nothing to read', async () => {
    const res = await fetch(`${app.api}/version`, { headers: { origin: 'http://evil.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('stays same-origin when no origins are configured', async () => {
    const res = await fetch(`${closed.api}/version`, { headers: { origin } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
