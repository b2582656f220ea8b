import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import Joi from 'joi';
import { errorHandler, notFound } from '../../api/middleware/error-handler.js';
import { errorBodySchema } from '../../api/openapi.js';
import { buildRouter } from '../../api/routes/registry.js';
import { definePublicRoute, type AnyRoute } from '../../api/routes/route.js';
import { MissingPermissionError, RateLimitedError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SnowflakeLease } from '../../shared/snowflake-lease.js';
import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { TEST_REDIS_URL } from '../helpers/env.js';

/** Statements (SQL and bind values) for the /db/{case} test route, run in one transaction. */
const DB_CASES: Record<string, [string, string[]][]> = {
  bigint_out_of_range: [['SELECT $1::bigint', ['9999999999999999999']]],
  not_a_number: [['SELECT $1::bigint', ['abc']]],
  nul_in_jsonb: [['SELECT $1::jsonb', ['{"a":"\\u0000"}']]],
  too_long: [
    ['CREATE TEMP TABLE t_long (v varchar(3)) ON COMMIT DROP', []],
    ['INSERT INTO t_long VALUES ($1)', ['abcdef']],
  ],
  unique: [
    ['CREATE TEMP TABLE t_unique (k int PRIMARY KEY) ON COMMIT DROP', []],
    ['INSERT INTO t_unique VALUES (1), (1)', []],
  ],
  syntax: [['SELEC 1', []]],
};

const app = useTestApp({ config: testConfig({ server: { body_limit_bytes: 4096 } }), workers: false });

async function send(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: left empty so the assertions on `code` fail loudly
  }
  return { status: res.status, headers: res.headers, body, text };
}

describe('the error body on the real app', () => {
  it('malformed JSON is a 400 with code malformed_json', async () => {
    const res = await send(`${app.api}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a": ',
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_json');
    expect(res.body.message).toEqual(expect.any(String));
  });

  it('a body over the limit is a 413 before any handler runs', async () => {
    const res = await send(`${app.api}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(10_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'payload_too_large', limit_bytes: 4096 });
  });

  it('an unknown route is a JSON 404, under /api/v1 and outside it', async () => {
    for (const url of [`${app.api}/no-such-thing`, `${app.origin}/nowhere`]) {
      const res = await send(url);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(res.body.code).toBe('unknown_route');
    }
  });

  it('a known path with a method it lacks is a 405 naming its methods in Allow; unknown paths stay 404', async () => {
    for (const [method, url, allow] of [
      ['PUT', `${app.api}/servers`, 'POST'],
      ['DELETE', `${app.api}/health`, 'GET, HEAD'],
      // Parameters and a trailing slash match as the routing does; methods of every matching route.
      ['POST', `${app.api}/channels/123/`, 'DELETE, GET, HEAD, PATCH'],
      ['PUT', `${app.api}/users/@me`, 'DELETE, GET, HEAD, PATCH'],
      // Routes outside the REST router too.
      ['POST', `${app.api}/openapi.json`, 'GET, HEAD'],
    ] as const) {
      const res = await send(url, { method });
      expect([method, url, res.status, res.headers.get('allow')]).toEqual([method, url, 405, allow]);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(res.body).toEqual({ code: 'method_not_allowed', message: expect.stringContaining(allow) });
    }
    const head = await fetch(`${app.api}/servers`, { method: 'HEAD' });
    expect([head.status, head.headers.get('allow')]).toEqual([405, 'POST']);
    // GET answers HEAD; OPTIONS is the router's own; unknown paths stay 404 whatever the method.
    expect((await fetch(`${app.api}/health`, { method: 'HEAD' })).status).toBe(200);
    const options = await fetch(`${app.api}/servers`, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([200, 'POST']);
    for (const method of ['DELETE', 'OPTIONS', 'HEAD']) {
      const res = await fetch(`${app.api}/no-such-thing`, { method });
      expect([method, res.status, res.headers.get('allow')]).toEqual([method, 404, null]);
    }
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    const given = await fetch(`${app.api}/version`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const unsafe = await fetch(`${app.api}/version`, { headers: { 'x-request-id': 'a b<script>' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await fetch(`${app.api}/version`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('validation and unexpected errors (routes built by the registry)', () => {
  let server: http.Server;
  let base: string;
  // A process whose lease is gone mints nothing; it never talks to Redis for that.
  const idRedis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const unleased = new SnowflakeLease(idRedis, 'test-unleased', {
    datacenterId: null,
    workerId: null,
    ttlMs: 30000,
    logger: createLogger({ log: { level: 'silent', pretty: false } }, 'test'),
  });

  beforeAll(async () => {
    const routes: AnyRoute[] = [
      definePublicRoute<{ thing_id: string }, { limit: number }, { name: string; count?: number }>({
        method: 'post',
        path: '/things/{thing_id}',
        summary: 'test route',
        tags: ['Test'],
        params: Joi.object({ thing_id: Joi.string().pattern(/^\d+$/).required() }),
        query: Joi.object({ limit: Joi.number().integer().min(1).max(100).default(50) }),
        body: Joi.object({ name: Joi.string().min(2).max(32).required(), count: Joi.number().integer() }),
        responses: { 200: { description: 'ok' } },
        handler: ({ params, query, body }) => ({ params, query, body }),
      }),
      definePublicRoute({
        method: 'post',
        path: '/ids',
        summary: 'mints an id without a worker-id lease',
        tags: ['Test'],
        responses: { 200: { description: 'never' } },
        handler: () => ({ id: unleased.next() }),
      }),
      definePublicRoute({
        method: 'get',
        path: '/db/{case}',
        summary: 'passes a client value to Postgres unchecked, as a route missing a schema would',
        tags: ['Test'],
        responses: { 200: { description: 'never' } },
        handler: async ({ req }) => {
          const statements = DB_CASES[String(req.params.case)];
          if (!statements) throw new Error('unknown case');
          await app.rt.sequelize.transaction(async (transaction) => {
            for (const [sql, bind] of statements) {
              await app.rt.sequelize.query(sql, { ...(bind.length > 0 ? { bind } : {}), transaction });
            }
          });
          return {};
        },
      }),
      definePublicRoute({
        method: 'get',
        path: '/refuse/{kind}',
        summary: 'throws a typed error that carries fields of its own',
        tags: ['Test'],
        responses: { 200: { description: 'never' } },
        handler: ({ req }) => {
          throw req.params.kind === 'permission'
            ? new MissingPermissionError('MANAGE_ROLES')
            : new RateLimitedError(1.5, true);
        },
      }),
      definePublicRoute({
        method: 'get',
        path: '/boom',
        summary: 'throws',
        tags: ['Test'],
        responses: { 200: { description: 'never' } },
        handler: () => {
          throw new Error('secret internal detail');
        },
      }),
    ];
    const expressApp = express();
    expressApp.use((_req, res, next) => {
      res.setHeader('X-Request-Id', 'req-1');
      next();
    });
    expressApp.use(express.json({ limit: 1024 }));
    expressApp.use(buildRouter(routes, () => Promise.resolve(null)));
    expressApp.use(notFound(expressApp));
    expressApp.use(errorHandler(createLogger({ log: { level: 'silent', pretty: false } }, 'test'), 1024));
    server = http.createServer(expressApp);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    idRedis.disconnect();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string, body: unknown, contentType = 'application/json') =>
    send(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('passes valid input through, converted', async () => {
    const res = await post('/things/42?limit=7', { name: 'ok' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ params: { thing_id: '42' }, query: { limit: 7 }, body: { name: 'ok' } });
  });

  it('names every bad field at once', async () => {
    const res = await post('/things/42', { name: 5, count: 'many', extra: true });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(Object.keys(res.body.errors as object).sort()).toEqual(['count', 'extra', 'name']);
  });

  it('names missing required fields, bad path params and bad query params', async () => {
    expect((await post('/things/42', {})).body.errors).toEqual({
      name: expect.stringMatching(/required/) as string,
    });
    expect((await post('/things/abc', { name: 'ok' })).body.errors).toHaveProperty('thing_id');
    expect((await post('/things/1?limit=500', { name: 'ok' })).body.errors).toHaveProperty('limit');
    expect((await post('/things/1?limit=0', { name: 'ok' })).body.errors).toHaveProperty('limit');
  });

  it('one 400 names the bad fields of the path, the query and the body together', async () => {
    const res = await post('/things/abc?limit=0', { name: 5, extra: true });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(Object.keys(res.body.errors as object).sort()).toEqual(['extra', 'limit', 'name', 'thing_id']);
    expect(res.body.message).toBe('Invalid params, query, body: thing_id, limit, name, extra');
    // A bad path or query comes before the body's media type.
    const wrongType = await post('/things/abc', 'name=ok', 'application/x-www-form-urlencoded');
    expect([wrongType.status, wrongType.body.errors]).toEqual([400, { thing_id: expect.any(String) }]);
  });

  it('a JSON body that is not an object is a 400, a non-JSON content type a 415', async () => {
    expect((await post('/things/1', '[1,2]')).status).toBe(400);
    expect((await post('/things/1', '"text"')).status).toBe(400);
    const wrongType = await post('/things/1', 'name=ok', 'application/x-www-form-urlencoded');
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.code).toBe('unsupported_media_type');
  });

  it('Postgres refusing a client value is a 400 invalid_input; a unique violation a 409', async () => {
    for (const name of ['bigint_out_of_range', 'not_a_number', 'nul_in_jsonb', 'too_long']) {
      const res = await send(`${base}/db/${name}`);
      expect([name, res.status, res.body.code]).toEqual([name, 400, 'invalid_input']);
    }
    const conflict = await send(`${base}/db/unique`);
    expect([conflict.status, conflict.body.code]).toEqual([409, 'conflict']);
    // Other database errors (a bug in our SQL) stay 500s.
    expect((await send(`${base}/db/syntax`)).status).toBe(500);
  });

  it('no snowflake lease: 503 ids_unavailable with Retry-After until the lease is next sought', async () => {
    const res = await send(`${base}/ids`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(res.body).toEqual({ code: 'ids_unavailable', message: expect.any(String), retry_after: 10 });
  });

  it('error bodies with fields of their own fit the documented Error schema (/openapi.json)', async () => {
    const permission = await send(`${base}/refuse/permission`);
    const limited = await send(`${base}/refuse/rate`);
    expect([permission.status, permission.body]).toEqual([
      403,
      { code: 'missing_permission', message: expect.any(String), permission: 'MANAGE_ROLES' },
    ]);
    expect([limited.status, limited.body]).toMatchObject([429, { retry_after: 1.5, global: true }]);
    for (const res of [permission, limited]) {
      expect(errorBodySchema.validate(res.body).error?.message).toBeUndefined();
    }
    expect(errorBodySchema.validate({ code: 'x', message: 'y', permission: 5 }).error).toBeDefined();
  });

  it('an unexpected error is a 500 with the request id and no stack or message leak', async () => {
    const res = await send(`${base}/boom`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      code: 'internal_error',
      message: 'Internal server error',
      request_id: 'req-1',
    });
    expect(res.text).not.toMatch(/secret internal detail|at .*\.ts/);
  });
});
