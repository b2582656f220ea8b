import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The reference web client: `npm run build:web` writes it to dist/web-client, which the API serves
 * at /app/ (api/web-client-page.ts). Scripts and styles are emitted as files, so the API's
 * Content-Security-Policy (no inline scripts) holds. JSX is Preact's.
 */
export default defineConfig({
  root,
  base: '/app/',
  publicDir: false,
  clearScreen: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: path.resolve(root, '../../dist/web-client'),
    emptyOutDir: true,
    target: 'es2022',
    // Every asset is a file under /app/assets, none a data: URL the CSP would have to allow.
    assetsInlineLimit: 0,
  },
});
