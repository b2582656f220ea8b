import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/** One request's phases so far: each ends where the next begins. */
interface Timeline {
  start: number;
  last: number;
  phases: string[];
}

const timelines = new AsyncLocalStorage<Timeline>();

/**
 * Ends the current phase of this request's Server-Timing header (`server.timing`) under `name`:
 * the time since the previous phase ended (or the request arrived). Nothing when timing is off.
 */
export function phase(name: string): void {
  const timeline = timelines.getStore();
  if (!timeline) return;
  const now = performance.now();
  timeline.phases.push(`${name};dur=${(now - timeline.last).toFixed(1)}`);
  timeline.last = now;
}

/**
 * `server.timing`: every answer carries a Server-Timing header with the phases its request went
 * through (`auth`, `limit`, `validate`, then the route's own, e.g. a send's `access`, `claim`,
 * `queue`, `job`) and `total`, from the request's arrival to its headers. For measuring where a
 * request's time goes (`npm run bench`, browsers' developer tools); off by default, since it tells
 * any caller how long each step took.
 */
export function serverTiming() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const start = performance.now();
    const timeline: Timeline = { start, last: start, phases: [] };
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    // Headers are set as they go out: the last phase may end just before.
    res.writeHead = ((...args: unknown[]) => {
      const total = `total;dur=${(performance.now() - timeline.start).toFixed(1)}`;
      res.setHeader('Server-Timing', [...timeline.phases, total].join(', '));
      return writeHead(...args);
    }) as Response['writeHead'];
    timelines.run(timeline, next);
  };
}
