// The OpenAPI document GET /api/v1/openapi.json serves, built in-process from the route specs alone
// (no database, Redis or listening server): what `npm run lint:openapi` lints and
// `npm run generate:sdk` turns into the client SDK's types.
import os from 'node:os';
import path from 'node:path';
import { allRoutes, API_BASE } from '../api/app.js';
import { buildOpenApi } from '../api/openapi.js';
import type { ApiServices } from '../api/services.js';
import { loadConfig } from '../shared/config/index.js';
import type { Runtime } from '../shared/runtime.js';

/**
 * A stand-in for a connection or service: route factories only keep references to these while
 * they build their specs (no handler runs), so every property, call and construction yields
 * another stand-in. `then` stays undefined so nothing mistakes one for a promise.
 */
function standIn(): unknown {
  return new Proxy(function standInTarget() {}, {
    get: (_target, key) => (key === 'then' ? undefined : standIn()),
    apply: () => standIn(),
    construct: () => standIn() as object,
  });
}

/** The document GET /api/v1/openapi.json serves, built from the route specs alone. */
export function buildDocument(): Record<string, unknown> {
  const config = loadConfig({
    // A HOME without ~/.plexichat: the defaults, whatever the machine's config says.
    env: { HOME: path.join(os.tmpdir(), 'plexichat-openapi-home') },
    overrides: { mode: 'test', log: { level: 'silent' } },
  });
  const known: Partial<Runtime> = { config };
  const rt = new Proxy(known, {
    get: (target, key) => (key in target ? target[key as keyof Runtime] : standIn()),
  }) as Runtime;
  return buildOpenApi(allRoutes(rt, standIn() as ApiServices), API_BASE);
}
