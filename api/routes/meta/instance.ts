import Joi from 'joi';
import { mailEnabled } from '../../../shared/mail/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { definePublicRoute, type AnyRoute } from '../route.js';

const instanceResponse = Joi.object({
  registration: Joi.string()
    .valid('open', 'invite_only', 'closed')
    .required()
    .description('who may register: anyone, holders of a server invite code (`invite`), or nobody'),
  email: Joi.boolean()
    .required()
    .description('whether the instance sends mail: password reset mails and email verification'),
  require_verified_email: Joi.boolean()
    .required()
    .description('whether sending messages needs a verified email (403 `email_unverified` otherwise)'),
}).meta({ className: 'Instance' });

/** GET /instance: what a client needs to know before registering. */
export function instanceRoutes(rt: Runtime): AnyRoute[] {
  return [
    definePublicRoute({
      method: 'get',
      path: '/instance',
      summary: 'How this instance takes new accounts',
      description:
        'Public, so a client can show the right sign-up form (invite code, no sign-up) before registering.',
      tags: ['Auth'],
      responses: { 200: { description: 'The instance’s account settings', schema: instanceResponse } },
      handler: () => ({
        registration: rt.config.auth.registration,
        email: mailEnabled(rt.config),
        require_verified_email: rt.config.auth.require_verified_email,
      }),
    }),
  ];
}
