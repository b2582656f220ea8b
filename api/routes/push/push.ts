import Joi from 'joi';
import { ApiError } from '../../../shared/errors.js';
import { vapidDetails } from '../../../shared/push/vapid.js';
import type { Runtime } from '../../../shared/runtime.js';
import type { AuthContext } from '../../auth/context.js';
import { subscribe, unsubscribe, type SubscribeInput } from '../../../shared/domain/push/subscriptions.js';
import { listSubscriptions } from '../../push/subscriptions.js';
import { defineRoute, definePublicRoute, type AnyRoute } from '../route.js';
import {
  subscribeBody,
  subscriptionObject,
  subscriptionParams,
  unsubscribeBody,
  vapidKeyObject,
} from './schema.js';

function refuseBots(auth: AuthContext): void {
  if (auth.kind === 'bot' || auth.user.is_bot) {
    throw new ApiError(403, 'bots_cannot_use_push', 'Bots cannot subscribe to push notifications');
  }
}

/** Web Push: the VAPID public key, and the caller's push subscriptions (guide 13). */
export function pushRoutes(rt: Runtime): AnyRoute[] {
  return [
    definePublicRoute({
      method: 'get',
      path: '/push/vapid-public-key',
      summary: 'The VAPID public key to subscribe with',
      description:
        'Pass it (decoded from base64url to bytes) as `applicationServerKey` to `pushManager.subscribe`. ' +
        'It stays the same unless the operator changes it; a browser subscribed with an old key must subscribe again.',
      tags: ['Push'],
      responses: { 200: { description: 'The key', schema: vapidKeyObject } },
      handler: () => ({ public_key: vapidDetails(rt.config).publicKey }),
    }),
    defineRoute({
      method: 'get',
      path: '/users/@me/push-subscriptions',
      access: 'user',
      summary: 'The caller’s push subscriptions',
      description: 'Oldest first, without their keys.',
      tags: ['Push'],
      responses: { 200: { description: 'Subscriptions', schema: Joi.array().items(subscriptionObject) } },
      handler: ({ auth }) => listSubscriptions(rt, auth.user.id),
    }),
    defineRoute<Record<string, never>, Record<string, never>, SubscribeInput>({
      method: 'post',
      path: '/users/@me/push-subscriptions',
      access: 'user',
      summary: 'Register a browser for push notifications',
      description:
        'The body is `PushSubscription.toJSON()` as the browser gives it. Posting an endpoint again refreshes ' +
        'its keys (200); an endpoint registered by another user moves to the caller. Beyond ' +
        '`push.max_subscriptions_per_user`, the caller’s least recently used subscription is dropped. ' +
        'Pushes go out for mentions, replies and DMs while the user has no live gateway connection.',
      tags: ['Push'],
      body: subscribeBody,
      responses: {
        201: { description: 'Registered', schema: subscriptionObject },
        200: { description: 'Already registered: refreshed', schema: subscriptionObject },
        400: { description: 'A bad endpoint or key, named in `errors`' },
        403: { description: '`bots_cannot_use_push`' },
      },
      handler: async ({ auth, body, req, res }) => {
        refuseBots(auth);
        const { created, subscription } = await subscribe(
          rt,
          { userId: auth.user.id, sessionId: auth.session.id },
          body,
          req.headers['user-agent'] ?? null,
        );
        // 200 is the route's default answer; a new subscription says so.
        if (created) res.status(201);
        return subscription;
      },
    }),
    defineRoute<Record<string, never>, Record<string, never>, { endpoint: string }>({
      method: 'delete',
      path: '/users/@me/push-subscriptions',
      access: 'user',
      summary: 'Unregister a browser by its endpoint',
      description: 'Call it on logout (with `PushSubscription.endpoint`), then `subscription.unsubscribe()`.',
      tags: ['Push'],
      status: 204,
      body: unsubscribeBody,
      responses: {
        204: { description: 'Deleted' },
        404: { description: '`unknown_push_subscription`: not one of the caller’s' },
      },
      handler: ({ auth, body }) => unsubscribe(rt, auth.user.id, { endpoint: body.endpoint }),
    }),
    defineRoute<{ subscription_id: string }>({
      method: 'delete',
      path: '/users/@me/push-subscriptions/{subscription_id}',
      access: 'user',
      summary: 'Unregister a browser by id',
      description: 'For managing devices from another one (the ids come from the list).',
      tags: ['Push'],
      status: 204,
      params: subscriptionParams,
      responses: {
        204: { description: 'Deleted' },
        404: { description: '`unknown_push_subscription`: not one of the caller’s' },
      },
      handler: ({ auth, params }) => unsubscribe(rt, auth.user.id, { id: params.subscription_id }),
    }),
  ];
}
