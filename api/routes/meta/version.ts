import Joi from 'joi';
import { API_VERSION, PLEXICHAT_VERSION } from '../../../shared/version.js';
import { definePublicRoute, type AnyRoute } from '../route.js';

const versionResponse = Joi.object({
  version: Joi.string().required().example('a.1.0-1').description('stage.major.minor-build'),
  api: Joi.number().integer().required().example(1),
}).meta({ className: 'Version' });

/** GET /version. */
export function metaRoutes(): AnyRoute[] {
  return [
    definePublicRoute({
      method: 'get',
      path: '/version',
      // Monitoring polls these; they cost nothing.
      rateLimit: false,
      summary: 'Running version',
      tags: ['Health'],
      responses: { 200: { description: 'The version', schema: versionResponse } },
      handler: () => ({ version: PLEXICHAT_VERSION, api: API_VERSION }),
    }),
  ];
}
