import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** Bundles `entry` for the browser with Vite (as the web client is built): its code and Vite's warnings. */
function bundle(entry: string): { code: string; warnings: string } {
  const script = `
    import { build } from 'vite';
    const out = await build({
      configFile: false, root: ${JSON.stringify(root)}, logLevel: 'warn',
      build: { write: false, minify: false, lib: { entry: ${JSON.stringify(entry)}, formats: ['es'] } },
    });
    const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
    process.stdout.write(chunks.map((c) => c.code ?? '').join('\\n'));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    // Vite only warns about Node built-ins outside NODE_ENV=test (which jest sets).
    env: { ...process.env, NODE_ENV: 'production' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`vite build failed: ${run.stderr}`);
  // Vite's warnings go to stderr.
  return { code: run.stdout, warnings: run.stderr };
}

describe('the SDK in a browser bundle', () => {
  it.each(['client/src/index.ts', 'client/src/webhooks.ts'])(
    '%s bundles with no Node built-in',
    (entry) => {
      const { code, warnings } = bundle(entry);
      expect(code).toContain(entry.endsWith('webhooks.ts') ? 'verifyWebhookSignature' : 'INVALID_SESSION');
      // Vite swaps a Node built-in for an empty stub and warns: the bundle must need none.
      expect(warnings).not.toMatch(/externalized for browser compatibility/);
      expect(code).not.toMatch(/from ["']node:|require\(["']/);
    },
    120_000,
  );
});
