import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The admin dashboard: `npm run build:admin` writes it to dist/admin-ui, which the API serves at
 * /admin/ (api/admin/dashboard.ts, ADMIN_UI_DIR). Scripts and styles are emitted as files, so the
 * API's Content-Security-Policy (no inline scripts) holds.
 */
export default defineConfig({
  root,
  base: '/admin/',
  publicDir: false,
  clearScreen: false,
  build: {
    outDir: path.resolve(root, '../../dist/admin-ui'),
    emptyOutDir: true,
    target: 'es2022',
    // Every asset is a file under /admin/assets, none a data: URL the CSP would have to allow.
    assetsInlineLimit: 0,
  },
});
