import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import { findProjectRoot } from './docs/mount-docs.js';

/** A Vite-built single-page app the API serves (the admin dashboard, the web client). */
export interface SpaOptions {
  /** Where it is served, without a trailing slash (e.g. `/admin`). */
  base: string;
  /** The built folder (index.html + assets/). */
  dir: string;
  /** Its title in the 503 page shown while it is not built. */
  title: string;
  /** The npm script that builds it, named in that 503 page. */
  buildScript: string;
  /** Paths under `base` that belong to something else: never answered with the page. */
  notThePage?: RegExp;
}

/** The build output folder `name` under dist/: the same folder from api/ (tsx, tests) and dist/api (compiled). */
export function builtUiDir(name: string): string {
  return path.join(findProjectRoot(path.dirname(fileURLToPath(import.meta.url))), 'dist', name);
}

function notBuilt(title: string, buildScript: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title} not built - Plexichat</title></head>
<body>
<h1>The ${title.toLowerCase()} is not built</h1>
<p>Run <code>npm run ${buildScript}</code> (or <code>npm run build</code>) on the server, then reload.</p>
</body>
</html>
`;
}

/**
 * Serves a single-page app at `base`/: its hashed assets (cached for a year), and index.html for
 * `base`/ and any other page path under it (so reloads and deep links such as /app/invite/<code>
 * work). Without a build, those pages answer 503 saying how to make one. The page needs no inline
 * script, so the app-wide Content-Security-Policy holds.
 */
export function mountSpa(app: express.Express, options: SpaOptions): void {
  const { base, dir } = options;
  const index = path.join(dir, 'index.html');
  app.use(
    `${base}/assets`,
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
    if (options.notThePage?.test(req.path)) return next();
    // A missing file (an asset of an older build) is a 404, not the page.
    if (req.path.startsWith('/assets/') || (/\.\w+$/.test(req.path) && req.path !== '/index.html')) {
      return next();
    }
    if (req.originalUrl === base || req.originalUrl.startsWith(`${base}?`)) {
      return res.redirect(301, `${base}/`);
    }
    // The HTML names the current asset hashes: never cached, so a deploy is picked up at once.
    res.setHeader('Cache-Control', 'no-store');
    if (!fs.existsSync(index)) {
      res.status(503).type('html').send(notBuilt(options.title, options.buildScript));
      return;
    }
    res.sendFile(index, (err?: Error) => {
      if (err) next(err);
    });
  };
  app.use(base, sendIndex);
}
