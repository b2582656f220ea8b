import express, { type NextFunction, type Request, type Response } from 'express';
import { UnsupportedMediaTypeError } from '../../shared/errors.js';
import { validatePart } from '../middleware/validate.js';
import type { AnyRoute } from './route.js';

/** `/channels/{channel_id}` -> `/channels/:channel_id`. */
export function toExpressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Builds an Express router from route specs: validation first, then the handler. */
export function buildRouter(routes: AnyRoute[]): express.Router {
  const router = express.Router();
  for (const route of routes) {
    const handler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const params: unknown = route.params ? validatePart(route.params, req.params, 'params') : req.params;
        const query: unknown = route.query ? validatePart(route.query, req.query, 'query') : {};
        let body: unknown = undefined;
        if (route.body) {
          if (hasBody(req) && !req.is('application/json')) {
            throw new UnsupportedMediaTypeError('Request body must be application/json');
          }
          body = validatePart(route.body, (req.body as unknown) ?? {}, 'body');
        }
        const result = await route.handler({ params, query, body, req, res });
        if (res.headersSent) return;
        const status = route.status ?? 200;
        if (status === 204 || result === undefined) res.status(status).end();
        else res.status(status).json(result);
      } catch (err) {
        next(err);
      }
    };
    router[route.method](toExpressPath(route.path), (req, res, next) => void handler(req, res, next));
  }
  return router;
}
