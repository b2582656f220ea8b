import type express from 'express';
import { builtUiDir, mountSpa } from './spa.js';

/** Where the reference web client is served. */
export const WEB_CLIENT_PATH = '/app';

/** The built web client (`npm run build:web`, api/web-client/vite.config.ts writes it here). */
export const WEB_CLIENT_DIR = builtUiDir('web-client');

/** Serves the web client at /app/, every page path (e.g. /app/invite/<code>) answered with the app. */
export function mountWebClient(app: express.Express, dir = WEB_CLIENT_DIR): void {
  mountSpa(app, { base: WEB_CLIENT_PATH, dir, title: 'Web client', buildScript: 'build:web' });
}
