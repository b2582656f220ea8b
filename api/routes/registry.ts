import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiError, UnauthorizedError, UnsupportedMediaTypeError } from '../../shared/errors.js';
import { normalizeIp } from '../../shared/net/ip.js';
import type { AuthContext } from '../auth/context.js';
import { validatePart } from '../middleware/validate.js';
import type { AnyRoute } from './route.js';

/** `/channels/{channel_id}` -> `/channels/:channel_id`. */
export function toExpressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_@]+)\}/g, ':$1');
}

/** Resolves the caller from the request's token: null when no token was sent; throws 401 when it is bad. */
export type Authenticator = (req: Request, res: Response) => Promise<AuthContext | null>;

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function resolveAccess(
  route: AnyRoute,
  req: Request,
  res: Response,
  authenticate: Authenticator,
): Promise<AuthContext | null> {
  if (route.access === 'public') {
    return req.headers.authorization ? authenticate(req, res).catch(() => null) : null;
  }
  const auth = await authenticate(req, res);
  if (!auth) throw new UnauthorizedError();
  if (route.access === 'admin' && !auth.user.is_admin) {
    // Admin routes do not exist for anyone else.
    throw new ApiError(404, 'unknown_route', `Unknown route: ${req.method} ${req.path}`);
  }
  return auth;
}

/** Builds an Express router from route specs: authentication, validation, then the handler. */
export function buildRouter(routes: AnyRoute[], authenticate: Authenticator): express.Router {
  const router = express.Router();
  for (const route of routes) {
    const handler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const auth = await resolveAccess(route, req, res, authenticate);
        const params: unknown = route.params ? validatePart(route.params, req.params, 'params') : req.params;
        const query: unknown = route.query ? validatePart(route.query, req.query, 'query') : {};
        let body: unknown = undefined;
        if (route.body) {
          if (hasBody(req) && !req.is('application/json')) {
            throw new UnsupportedMediaTypeError('Request body must be application/json');
          }
          body = validatePart(route.body, (req.body as unknown) ?? {}, 'body');
        }
        const ip = normalizeIp(req.ip);
        const result = await route.handler({ params, query, body, auth, ip, req, res });
        if (res.headersSent) return;
        // A handler may choose another status for this answer (202 while a job is still queued).
        const status = res.statusCode !== 200 ? res.statusCode : (route.status ?? 200);
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
