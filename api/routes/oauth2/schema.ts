import Joi from 'joi';
import { snowflake, userObject } from '../common-schemas.js';
import { OAUTH_SCOPES } from '../../../shared/domain/oauth2/scopes.js';

const authorizeFields = {
  client_id: snowflake().description('the application id'),
  redirect_uri: Joi.string()
    .max(2048)
    .description('one of the application’s registered redirect URIs, exactly; optional when it has only one'),
  response_type: Joi.string().max(32).description('`code`'),
  scope: Joi.string()
    .max(200)
    .description(`space-separated: ${OAUTH_SCOPES.join(', ')}`),
  state: Joi.string().max(1024).description('returned unchanged with the code or the error'),
  code_challenge: Joi.string()
    .max(128)
    .description('PKCE: BASE64URL(SHA256(code_verifier)); required when the client has no secret'),
  code_challenge_method: Joi.string().max(16).description('`S256` (plain is refused)'),
  permissions: Joi.string()
    .max(20)
    .description('`bot` scope: permissions of the bot’s managed role, a decimal-string bitfield'),
};

// Unknown parameters are ignored, as RFC 6749 section 3.1 requires.
export const authorizeQuery = Joi.object(authorizeFields).unknown(true);

export const authorizeBody = Joi.object({
  ...authorizeFields,
  approve: Joi.boolean().required().description('true: issue a code; false: answer access_denied'),
  server_id: snowflake().description('`bot` scope: the server to add the bot to (MANAGE_SERVER there)'),
});

const applicationSummary = Joi.object({
  id: Joi.string().required(),
  name: Joi.string().required(),
  description: Joi.string().allow('').required(),
  icon_url: Joi.string().allow(null).required(),
  public_bot: Joi.boolean().required(),
}).meta({ className: 'OAuth2Application' });

export const authorizeInfo = Joi.object({
  application: applicationSummary.required(),
  user: userObject.required().description('who is authorizing'),
  scopes: Joi.array()
    .items(Joi.string().valid(...OAUTH_SCOPES))
    .required(),
  scope_descriptions: Joi.object()
    .pattern(Joi.string(), Joi.string())
    .required()
    .description('what each requested scope grants, for a consent screen'),
  redirect_uri: Joi.string().required(),
  state: Joi.string().allow(null).required(),
  permissions: Joi.string().required().description('`bot` scope: the managed role’s permissions'),
  servers: Joi.array()
    .items(
      Joi.object({
        id: Joi.string().required(),
        name: Joi.string().required(),
        icon_url: Joi.string().allow(null).required(),
      }),
    )
    .description('`bot` scope: servers where the user has MANAGE_SERVER'),
}).meta({ className: 'OAuth2AuthorizeInfo' });

export const authorizeResult = Joi.object({
  location: Joi.string()
    .required()
    .description('send the browser here: redirect_uri with `code` and `state`, or with `error`'),
}).meta({ className: 'OAuth2AuthorizeResult' });

export const tokenForm = Joi.object({
  grant_type: Joi.string().valid('authorization_code', 'refresh_token').required(),
  code: Joi.string().description('authorization_code: the code from the redirect'),
  redirect_uri: Joi.string().description('authorization_code: the same redirect_uri as in the request'),
  code_verifier: Joi.string().description('authorization_code: the PKCE verifier (43-128 characters)'),
  refresh_token: Joi.string().description('refresh_token: the current refresh token'),
  scope: Joi.string().description('refresh_token: a subset of the granted scopes (default: all)'),
  client_id: snowflake().description('the application id (or in HTTP Basic)'),
  client_secret: Joi.string().description('confidential clients, unless sent with HTTP Basic'),
}).meta({ className: 'OAuth2TokenRequest' });

export const tokenResponse = Joi.object({
  access_token: Joi.string().required(),
  token_type: Joi.string().valid('Bearer').required(),
  expires_in: Joi.number().integer().required().description('seconds'),
  refresh_token: Joi.string().required(),
  scope: Joi.string().required().description('space-separated granted scopes'),
  server_id: Joi.string().description('`bot` scope: the server the bot was added to'),
}).meta({ className: 'OAuth2TokenResponse' });

export const oauthErrorBody = Joi.object({
  error: Joi.string().required().description('RFC 6749 section 5.2 code, e.g. invalid_grant'),
  error_description: Joi.string().required(),
  code: Joi.string().required().description('the same as `error` (the error body of every other route)'),
  message: Joi.string().required().description('the same as `error_description`'),
}).meta({ className: 'OAuth2Error' });

export const revokeForm = Joi.object({
  token: Joi.string().required().description('an access or refresh token'),
  token_type_hint: Joi.string().valid('access_token', 'refresh_token'),
  client_id: snowflake(),
  client_secret: Joi.string(),
}).meta({ className: 'OAuth2RevokeRequest' });

export const currentAuthorization = Joi.object({
  application: applicationSummary.required(),
  scopes: Joi.array()
    .items(Joi.string().valid(...OAUTH_SCOPES))
    .required(),
  expires_at: Joi.number().integer().required().description('unix seconds: when this access token expires'),
  user: userObject.description('with the `identify` scope'),
}).meta({ className: 'OAuth2CurrentAuthorization' });

export const authorizationObject = Joi.object({
  id: Joi.string().required(),
  application: applicationSummary.required(),
  scopes: Joi.array()
    .items(Joi.string().valid(...OAUTH_SCOPES))
    .required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'OAuth2Authorization' });

export const authorizationParams = Joi.object({ authorization_id: snowflake().required() });

export const appIdParams = Joi.object({ app_id: snowflake().required() });

export const redirectUrisBody = Joi.object({
  redirect_uris: Joi.array()
    .items(Joi.string().max(2048))
    .max(10)
    .unique()
    .required()
    .description('replaces the list; each must be https, http on loopback, or a private-use scheme'),
});

export const clientObject = Joi.object({
  client_id: Joi.string().required().description('the application id'),
  redirect_uris: Joi.array().items(Joi.string()).required(),
  has_secret: Joi.boolean().required().description('false: a public client (PKCE only)'),
}).meta({ className: 'OAuth2Client' });

export const clientSecretResponse = Joi.object({
  client_id: Joi.string().required(),
  client_secret: Joi.string().required().description('shown once; only its SHA-256 is kept'),
}).meta({ className: 'OAuth2ClientSecret' });
