// `npm run lint:openapi`: builds the OpenAPI document exactly as the API serves it, without a
// database, Redis or a listening server, and lints it with Redocly CLI's recommended rules. Any
// problem, warnings included, fails: client generators depend on a clean document.
//
//   tsx scripts/lint-openapi.ts [--out <file>]   (--out keeps the document; default: a temp file)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDocument } from './openapi-document.js';

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
