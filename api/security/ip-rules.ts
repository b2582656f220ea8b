import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../../shared/errors.js';
import { normalizeIp } from '../../shared/net/ip.js';
import type { IpRules } from '../../shared/net/ip-rules.js';

export { decide, IpRules } from '../../shared/net/ip-rules.js';

/** Express middleware enforcing the IP rules before any route. */
export function ipRulesMiddleware(rules: IpRules) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const ip = normalizeIp(req.ip);
    rules.allows(ip).then(
      async (allowed) => {
        if (allowed) return next();
        await rules.recordBlocked(ip, req.path);
        next(new ApiError(403, 'ip_blocked', 'Requests from your address are not allowed'));
      },
      (err: unknown) => next(err),
    );
  };
}
