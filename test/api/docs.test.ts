import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildOpenApi } from '../../api/openapi.js';
import { definePublicRoute } from '../../api/routes/route.js';
import { useTestApp } from '../helpers/app.js';

const app = useTestApp({ workers: false, gateway: false });

/** Every local script and stylesheet a page references. */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
}

describe('API documentation', () => {
  it('serves the OpenAPI document generated from the route schemas', async () => {
    const res = await fetch(`${app.api}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/version']));
    expect(Object.keys(doc.paths['/health']?.get?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '503']),
    );
    expect(doc.components.schemas).toHaveProperty('Error');
    expect(doc.components.schemas).toHaveProperty('Health');
  });

  it.each(['/docs', '/redoc', '/docs/api'])(
    '%s is an HTML page whose assets are all served locally',
    async (page) => {
      const res = await fetch(`${app.origin}${page}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"'\s]*\.(js|css)/); // no CDN
      const assets = assetsOf(html);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        const a = await fetch(`${app.origin}${asset}`);
        expect([asset, a.status]).toEqual([asset, 200]);
      }
    },
  );

  it('the static docs hold the guides and a reference generated from the OpenAPI document', async () => {
    const html = await (await fetch(`${app.origin}/docs/api`)).text();
    expect(html).toMatch(/snowflake/i);
    expect(html).toMatch(/\/health/);
    expect(html).toMatch(/\/version/);
  });

  it('the document lints clean with Redocly’s recommended rules (npm run lint:openapi)', async () => {
    // The script fails on any error or warning; its exit status is the verdict.
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'tsx', 'scripts/lint-openapi.ts'], {
      timeout: 120_000,
    });
    expect(stdout).toMatch(/0 errors, 0 warnings/);
  }, 150_000);

  it('every operation declares its security, public ones with an empty list', async () => {
    const doc = (await (await fetch(`${app.api}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths['/users/@me']?.get?.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
  });

  it('every error status of every operation documents the error body', async () => {
    type Response = { content?: { 'application/json'?: { schema?: unknown } } };
    const doc = (await (await fetch(`${app.api}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
    };
    const undocumented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const schema = response.content?.['application/json']?.schema;
          if (Number(status) >= 400 && !schema) undocumented.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
    expect(doc.paths['/invites/{code}']?.get?.responses['404']?.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/Error' } },
    });
  });

  it('refuses to build a document in which two operations share an operationId', () => {
    const route = (path: string) =>
      definePublicRoute({
        method: 'post',
        path,
        summary: 's',
        tags: ['T'],
        responses: {},
        handler: () => ({}),
      });
    expect(() => buildOpenApi([route('/a/{b}'), route('/a/b')])).toThrow(/share the operationId postAB/);
    expect(() => buildOpenApi([route('/a/{b}'), { ...route('/a/b'), operationId: 'renamed' }])).not.toThrow();
  });
});
