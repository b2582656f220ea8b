import crypto from 'node:crypto';
import Joi from 'joi';
import { oneOf, trimWhere } from '../../../shared/text.js';
import { snowflake } from '../common-schemas.js';

/** base64url (padding tolerated, then dropped) of exactly `bytes` bytes, checked by `extra`. */
function base64UrlKey(bytes: number, what: string, extra?: (key: Buffer) => boolean) {
  return Joi.string()
    .max(256)
    .custom((value: string, helpers) => {
      const bare = trimWhere(value, oneOf('='), 'end');
      if (!/^[A-Za-z0-9_-]+$/.test(bare)) {
        return helpers.message({ custom: '{{#label}} must be base64url-encoded' });
      }
      const key = Buffer.from(bare, 'base64url');
      if (key.length !== bytes || (extra && !extra(key))) {
        return helpers.message({ custom: `{{#label}} must be ${what}` });
      }
      return bare;
    });
}

/** Whether `key` is an uncompressed point on P-256 (what the browser's p256dh is). */
function isP256Point(key: Buffer): boolean {
  if (key[0] !== 0x04) return false;
  try {
    crypto.ECDH.convertKey(key, 'prime256v1');
    return true;
  } catch {
    return false;
  }
}

export const subscribeBody = Joi.object({
  endpoint: Joi.string()
    .uri({ scheme: ['https', 'http'] })
    .max(2048)
    .required()
    .description(
      'the push service URL from PushSubscription.endpoint: https (http only for addresses in outbound.allow_private)',
    ),
  keys: Joi.object({
    p256dh: base64UrlKey(65, 'a 65-byte uncompressed P-256 public key', isP256Point)
      .required()
      .description('PushSubscription.toJSON().keys.p256dh (base64url)'),
    auth: base64UrlKey(16, 'a 16-byte auth secret')
      .required()
      .description('PushSubscription.toJSON().keys.auth (base64url)'),
  }).required(),
  // What PushSubscription.toJSON() also carries; accepted so clients can post it whole.
  expirationTime: Joi.number().allow(null).description('ignored'),
});

export const unsubscribeBody = Joi.object({
  endpoint: Joi.string().max(2048).required().description('the endpoint to forget'),
  // API.md gives both verbs the subscription `{endpoint, keys}`: the rest of it is taken and ignored.
  keys: Joi.object().unknown().description('ignored (the subscription as it was registered)'),
  expirationTime: Joi.number().allow(null).description('ignored'),
});

export const subscriptionParams = Joi.object({ subscription_id: snowflake().required() });

export const subscriptionObject = Joi.object({
  id: Joi.string().required(),
  endpoint: Joi.string().required(),
  user_agent: Joi.string().allow(null).required().description('of the client that registered it'),
  created_at: Joi.number().integer().required(),
  last_success_at: Joi.number()
    .integer()
    .allow(null)
    .required()
    .description('the last push the service accepted'),
  failure_count: Joi.number().integer().required().description('refused deliveries in a row'),
}).meta({ className: 'PushSubscription' });

export const vapidKeyObject = Joi.object({
  public_key: Joi.string()
    .required()
    .description('base64url P-256 public key: the applicationServerKey for pushManager.subscribe'),
}).meta({ className: 'VapidPublicKey' });
