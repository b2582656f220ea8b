import type express from 'express';
import { builtUiDir, mountSpa } from '../spa.js';

/** Where the dashboard is served. */
export const ADMIN_UI_PATH = '/admin';

/** The built dashboard (`npm run build:admin`, api/admin-ui/vite.config.ts writes it here). */
export const ADMIN_UI_DIR = builtUiDir('admin-ui');

/**
 * Serves the admin dashboard at /admin/ (see mountSpa; the app routes by hash). Bull Board's paths
 * under /admin/queues are never answered with the page.
 */
export function mountAdminDashboard(app: express.Express, dir = ADMIN_UI_DIR): void {
  mountSpa(app, {
    base: ADMIN_UI_PATH,
    dir,
    title: 'Admin dashboard',
    buildScript: 'build:admin',
    notThePage: /^\/queues(\/|$)/,
  });
}
