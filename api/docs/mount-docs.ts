import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createStaticDocsRenderer } from './static-docs.js';

// Assets change only with a deploy (the pinned packages or this folder), so an hour of caching is safe.
const ASSET_OPTIONS = { maxAge: '1h', index: false, redirect: false } as const;

// Pages load their initializers from files, not inline scripts, so `script-src 'self'` is enough.
const SWAGGER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plexichat API - Swagger UI</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="/docs/assets/swagger-ui/index.css">
<link rel="icon" type="image/png" sizes="32x32" href="/docs/assets/swagger-ui/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-init.js"></script>
</body>
</html>
`;

const REDOC_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plexichat API - ReDoc</title>
<link rel="stylesheet" href="/docs/assets/docs.css">
</head>
<body class="redoc-page">
<div id="redoc"></div>
<script src="/docs/assets/redoc/redoc.standalone.js"></script>
<script src="/docs/assets/redoc-init.js"></script>
</body>
</html>
`;

// The same walk works from api/docs (tsx) and dist/api/docs (compiled): dist/ holds no package.json.
/** The directory of package.json above `start`: where api/docs/guides and other non-TS files live. */
export function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`docs: no package.json in any parent of ${start}`);
  }
}

/** Mounts Swagger UI (/docs), ReDoc (/redoc) and the static docs (/docs/api), all served without a CDN. */
export function mountDocs(app: express.Express, getOpenApi: () => object): void {
  const root = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
  const require = createRequire(import.meta.url);
  const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const redocDir = path.join(path.dirname(require.resolve('redoc/package.json')), 'bundles');
  const renderStaticDocs = createStaticDocsRenderer(path.join(root, 'api', 'docs', 'guides'));

  app.use('/docs/assets/swagger-ui', express.static(swaggerDir, ASSET_OPTIONS));
  app.use('/docs/assets/redoc', express.static(redocDir, ASSET_OPTIONS));
  app.use('/docs/assets', express.static(path.join(root, 'api', 'docs', 'assets'), ASSET_OPTIONS));

  app.get('/docs', (_req, res) => {
    res.type('html').send(SWAGGER_PAGE);
  });
  app.get('/redoc', (_req, res) => {
    res.type('html').send(REDOC_PAGE);
  });
  app.get('/docs/api', (_req, res) => {
    res.type('html').send(renderStaticDocs(getOpenApi()));
  });
}
