import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type express from 'express';
import type { Runtime } from '../shared/runtime.js';
import { adminBrowserAuth } from './admin/browser-auth.js';

/** Where Bull Board is served (the admin dashboard links here; its cookie is scoped to /admin). */
export const BULL_BOARD_PATH = '/admin/queues';
/** The same board under the API's base, where API.md's admin table puts `/admin/queues`. */
export const BULL_BOARD_API_PATH = '/api/v1/admin/queues';

/**
 * Mounts Bull Board for ops at both paths, behind admin authentication (api/admin/browser-auth.ts):
 * an admin's `Authorization: Bearer` token, or the cookie the admin dashboard gets from POST
 * /api/v1/admin/browser-session; anyone else gets 401, a signed-in non-admin 404. On unless
 * `admin.bull_board` is false: it shows job payloads and can retry, promote or delete jobs, which
 * an instance may not want even its admins to do from a browser.
 */
export function mountBullBoard(app: express.Express, rt: Runtime): void {
  const auth = adminBrowserAuth(rt);
  for (const basePath of [BULL_BOARD_PATH, BULL_BOARD_API_PATH]) {
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(basePath);
    createBullBoard({
      queues: Object.values(rt.queues).map((queue) => new BullMQAdapter(queue)),
      serverAdapter,
    });
    app.use(basePath, auth, serverAdapter.getRouter() as express.Router);
  }
}
