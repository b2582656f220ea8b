import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';

/**
 * Every route of the admin API (taken from the served OpenAPI document, so a new one is covered
 * without a line here): a signed-in non-admin gets 403 naming INSTANCE_ADMIN before anything else
 * is looked at, and a caller without a token 401.
 */
const app = useTestApp({ workers: false, gateway: false });
let plain: TestUser;
let routes: [string, string][] = [];

beforeAll(async () => {
  plain = await registerUser(app);
  const doc = (await api(app, 'GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>;
  };
  routes = Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, op]) => op.responses['403']?.description?.includes('INSTANCE_ADMIN') === true)
      .map(([method, _op]): [string, string] => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, '1')]),
  );
});

it('finds the admin API in the OpenAPI document', () => {
  const paths = routes.map(([method, path]) => `${method} ${path}`);
  expect(paths).toEqual(
    expect.arrayContaining([
      'GET /admin/security-events',
      'PUT /admin/ip-rules',
      'GET /admin/users',
      'PATCH /admin/users/1',
      'POST /admin/users/1/password-reset',
      'DELETE /admin/users/1',
      'GET /admin/servers',
      'GET /admin/stats',
      'GET /admin/reports',
      'POST /admin/browser-session',
    ]),
  );
});

it('answers every admin route 403 naming INSTANCE_ADMIN to a non-admin, 401 without a token', async () => {
  expect(routes.length).toBeGreaterThan(10);
  for (const [method, path] of routes) {
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    const res = await api(app, method, path, { token: plain.token, body });
    expect([method, path, res.status, res.body.code, res.body.permission]).toEqual([
      method,
      path,
      403,
      'missing_permission',
      'INSTANCE_ADMIN',
    ]);
    expect([method, path, (await api(app, method, path, { body })).status]).toEqual([method, path, 401]);
  }
});
