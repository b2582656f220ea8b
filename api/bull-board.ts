import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type express from 'express';
import type { Runtime } from '../shared/runtime.js';
import { adminBrowserAuth } from './admin/browser-auth.js';

/** Where Bull Board is served. */
export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Mounts Bull Board for ops, behind admin authentication (api/admin/browser-auth.ts): an admin's
 * `Authorization: Bearer` token, or the cookie the admin dashboard gets from POST
 * /api/v1/admin/browser-session; anyone else gets 401, a signed-in non-admin 404. Still off unless
 * `admin.bull_board` is true: it shows job payloads and can retry, promote or delete jobs, which an
 * instance may not want even its admins to do from a browser.
 */
export function mountBullBoard(app: express.Express, rt: Runtime): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: Object.values(rt.queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
  });
  app.use(BULL_BOARD_PATH, adminBrowserAuth(rt), serverAdapter.getRouter() as express.Router);
}
