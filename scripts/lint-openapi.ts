// `npm run lint:openapi`: builds the OpenAPI document exactly as the API serves it, without a
// database, Redis or a listening server, and lints it with Redocly CLI's recommended rules. Any
// problem, warnings included, fails: client generators depend on a clean document.
//
//   tsx scripts/lint-openapi.ts [--out <file>]   (--out keeps the document; default: a temp file)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
function buildDocument(): Record<string, unknown> {
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

const outIndex = process.argv.indexOf('--out');
const kept = outIndex > 0 && process.argv[outIndex + 1] !== undefined;
const out = kept
  ? path.resolve(process.argv[outIndex + 1] as string)
  : path.join(mkdtempSync(path.join(os.tmpdir(), 'plexichat-openapi-')), 'openapi.json');
writeFileSync(out, JSON.stringify(buildDocument(), null, 2));

const redocly = (format: string) =>
  spawnSync('npx', ['--no-install', 'redocly', 'lint', '--extends', 'recommended', '--format', format, out], {
    encoding: 'utf8',
  });
const result = redocly('json');
let totals: { errors: number; warnings: number } | null = null;
try {
  totals = (JSON.parse(result.stdout) as { totals: { errors: number; warnings: number } }).totals;
} catch {
  process.stderr.write(`${result.stdout}\n${result.stderr}\nredocly lint did not produce a report\n`);
  process.exit(2);
}
if (totals.errors + totals.warnings > 0) {
  // The readable report, then the verdict.
  process.stderr.write(redocly('stylish').stdout);
  process.stderr.write(`\nOpenAPI lint: ${totals.errors} errors, ${totals.warnings} warnings (${out})\n`);
  process.exit(1);
}
process.stdout.write(`OpenAPI lint: 0 errors, 0 warnings${kept ? ` (${out})` : ''}\n`);
if (!kept) rmSync(path.dirname(out), { recursive: true, force: true });
