import Joi from 'joi';

/** GET /proxy query: the external URL and this instance's signature of it. */
export const proxyQuery = Joi.object({
  url: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .max(4096)
    .required()
    .description('the external image URL, exactly as signed'),
  // Required, but checked in the handler: a URL into a private network is refused as such first.
  sig: Joi.string()
    .pattern(/^[A-Za-z0-9_-]{1,128}$/)
    .description('required: HMAC-SHA256 of `url` under a key derived from the instance secret, base64url'),
});
