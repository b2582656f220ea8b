import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import { findProjectRoot } from '../docs/mount-docs.js';

/** Where the dashboard is served. */
export const ADMIN_UI_PATH = '/admin';

/**
 * The built dashboard (`npm run build:admin`, api/admin-ui/vite.config.ts writes it here): the same
 * folder from api/admin (tsx, tests) and dist/api/admin (compiled).
 */
export const ADMIN_UI_DIR = path.join(
  findProjectRoot(path.dirname(fileURLToPath(import.meta.url))),
  'dist',
  'admin-ui',
);

/** Paths under /admin that belong to something else (Bull Board): never answered with the page. */
const NOT_THE_DASHBOARD = /^\/queues(\/|$)/;

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Admin dashboard not built - Plexichat</title></head>
<body>
<h1>The admin dashboard is not built</h1>
<p>Run <code>npm run build:admin</code> (or <code>npm run build</code>) on the server, then reload.</p>
</body>
</html>
`;

/**
 * Serves the admin dashboard at /admin/: its hashed assets (cached for a year), and index.html for
 * /admin/ and any other page path under it (the app routes by hash, this keeps reloads working).
 * Without a build, those pages answer 503 saying how to make one. The page needs no inline script
 * or style, so the app-wide Content-Security-Policy holds.
 */
export function mountAdminDashboard(app: express.Express, dir = ADMIN_UI_DIR): void {
  const index = path.join(dir, 'index.html');
  app.use(
    `${ADMIN_UI_PATH}/assets`,
    express.static(path.join(dir, 'assets'), {
      index: false,
      redirect: false,
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
    }),
  );
  const sendIndex = (req: Request, res: Response, next: (err?: unknown) => void): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (NOT_THE_DASHBOARD.test(req.path)) return next();
    // A missing file (an asset of an older build) is a 404, not the page.
    if (req.path.startsWith('/assets/') || (/\.\w+$/.test(req.path) && req.path !== '/index.html')) {
      return next();
    }
    if (req.originalUrl === ADMIN_UI_PATH || req.originalUrl.startsWith(`${ADMIN_UI_PATH}?`)) {
      return res.redirect(301, `${ADMIN_UI_PATH}/`);
    }
    // The HTML names the current asset hashes: never cached, so a deploy is picked up at once.
    res.setHeader('Cache-Control', 'no-store');
    if (!fs.existsSync(index)) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.sendFile(index, (err?: Error) => {
      if (err) next(err);
    });
  };
  app.use(ADMIN_UI_PATH, sendIndex);
}
