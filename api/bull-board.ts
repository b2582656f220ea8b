import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type express from 'express';
import type { Runtime } from '../shared/runtime.js';

/** Where Bull Board is served. */
export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Mounts Bull Board for ops. Off unless `admin.bull_board` is true: it shows job payloads and can
 * retry or delete jobs, so it must sit behind admin authentication (which arrives with accounts).
 */
export function mountBullBoard(app: express.Express, rt: Runtime): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: Object.values(rt.queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
  });
  app.use(BULL_BOARD_PATH, serverAdapter.getRouter() as express.Router);
}
