import Joi from 'joi';
import j2sModule from 'joi-to-swagger';
import { PLEXICHAT_VERSION } from '../shared/version.js';
import { toOpenApiPath } from './routes/registry.js';
import type { AnyRoute } from './routes/route.js';
import { SCOPE_DESCRIPTIONS } from '../shared/domain/oauth2/scopes.js';

/**
 * The error body of API.md, documented once and referenced by every route. Some codes add fields
 * of their own (`missing_permission` its `permission`, 429 `retry_after`, `owns_servers` the
 * servers, `send_pending` the promised message), so other keys are allowed.
 */
export const errorBodySchema = Joi.object({
  code: Joi.string().required().description('snake_case error code'),
  message: Joi.string().required().description('human-readable text'),
  errors: Joi.object().pattern(Joi.string(), Joi.string()).description('every offending field and why'),
  permission: Joi.string().description('`missing_permission` (403): the permission the caller lacks'),
  retry_after: Joi.number().description('429 and some 503s: seconds to wait (also in `Retry-After`)'),
  global: Joi.boolean().description('429: whether the caller’s global budget, not the route’s, ran out'),
  request_id: Joi.string().description('present on 500s, to quote when reporting a problem'),
})
  .unknown(true)
  .meta({ className: 'Error' });

type Json = Record<string, unknown>;

// joi-to-swagger is CommonJS with `module.exports = fn` and `.default = fn`; its typings describe only
// the latter, which Node's ESM interop exposes as the default import's `default` property.
const j2s = j2sModule.default;

interface Collected {
  components: Json;
}

/** A schema that allows only null, as joi-to-swagger writes `Joi.valid(null)`. */
function isNullOnly(node: Json): boolean {
  return node.nullable === true && Object.keys(node).every((k) => k === 'nullable' || k === 'description');
}

/**
 * Makes joi-to-swagger's output valid, lint-clean OpenAPI 3.0, in place and recursively:
 * - nothing beside a `$ref` (3.0 ignores siblings; j2s puts `x-required` there);
 * - `oneOf` becomes `anyOf`: joi alternatives and `when` branches pick the first match or depend on
 *   a sibling field, which the document cannot state, so the branches may overlap;
 * - a null-only branch becomes `nullable` on the others, and a single branch is the schema itself;
 * - a null-only value gets the type 3.0 requires beside `nullable` (`enum: [null]` keeps it null).
 */
function tidy(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) tidy(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Json;
  if (typeof schema.$ref === 'string') {
    for (const key of Object.keys(schema)) if (key !== '$ref') delete schema[key];
    return;
  }
  for (const value of Object.values(schema)) tidy(value);
  if (Array.isArray(schema.oneOf)) {
    schema.anyOf = schema.oneOf;
    delete schema.oneOf;
  }
  if (Array.isArray(schema.anyOf)) {
    let branches = schema.anyOf as Json[];
    if (branches.some(isNullOnly)) {
      branches = branches.filter((b) => !isNullOnly(b));
      for (const b of branches) if (typeof b.$ref !== 'string') b.nullable = true;
    }
    if (branches.length === 1) {
      delete schema.anyOf;
      const only = branches[0] as Json;
      for (const [key, value] of Object.entries(only)) if (!(key in schema)) schema[key] = value;
    } else {
      schema.anyOf = branches;
    }
  }
  if (isNullOnly(schema)) {
    schema.type = 'string';
    schema.enum = [null];
  }
}

function convert(schema: Joi.Schema, acc: Collected): Json {
  const { swagger, components } = j2s(schema, acc.components);
  tidy(swagger);
  tidy(components);
  // j2s returns only the components it created on this call: merge them into what we have.
  for (const [kind, entries] of Object.entries(components ?? {})) {
    const known = (acc.components[kind] ?? {}) as Json;
    for (const [name, entry] of Object.entries(entries as Json)) {
      // Two schemas under one className would silently replace each other in clients' types.
      if (name in known && JSON.stringify(known[name]) !== JSON.stringify(entry)) {
        throw new Error(`openapi: two different schemas are named ${name}: give one another className`);
      }
    }
    acc.components[kind] = { ...known, ...entries };
  }
  return swagger;
}

/** `postChannelsChannelIdMessages`: the method and the path's words, unless the route names itself. */
function operationIdOf(route: AnyRoute): string {
  return (
    route.operationId ??
    `${route.method}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`
  );
}

function parameters(schema: Joi.ObjectSchema | undefined, where: 'path' | 'query', acc: Collected): Json[] {
  if (!schema) return [];
  const object = convert(schema, acc);
  const properties = (object.properties ?? {}) as Record<string, Json>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    description: prop.description,
    schema: prop,
  }));
}

/** The OpenAPI 3 document for the given routes, generated from their joi schemas. */
export function buildOpenApi(routes: AnyRoute[], serverUrl = '/api/v1'): Json {
  const acc: Collected = { components: {} };
  const errorRef = { $ref: '#/components/schemas/Error' };
  convert(errorBodySchema, acc);
  const paths: Record<string, Json> = {};
  const operationIds = new Map<string, string>();
  for (const route of routes) {
    const responses: Json = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      // An error status a route lists without a schema still answers the error body.
      const schema = spec.schema ? convert(spec.schema, acc) : Number(status) >= 400 ? errorRef : null;
      responses[status] = schema
        ? { description: spec.description, content: { 'application/json': { schema } } }
        : { description: spec.description };
    }
    if (route.params || route.query || route.body) {
      responses['400'] ??= {
        description: 'Validation failed',
        content: { 'application/json': { schema: errorRef } },
      };
    }
    // `default` (any other status, with the error body) also stands for the 2xx of routes that only redirect.
    responses.default ??= {
      description: 'Unexpected error (500), or another status listed nowhere here: the error body',
      content: { 'application/json': { schema: errorRef } },
    };
    // No token needed: `security: []` says so (an optional session token is still read where sent).
    const security: Json[] =
      route.access === 'public' ? [] : route.userOnly ? [{ bearer: [] }] : [{ bearer: [] }, { bot: [] }];
    const forbidden = [
      (responses['403'] as { description: string } | undefined)?.description,
      route.userOnly ? '`bots_not_allowed`: a bot token (people only)' : undefined,
      route.access === 'admin'
        ? '`missing_permission` with `permission: "INSTANCE_ADMIN"`: the caller is not an instance admin'
        : undefined,
      '`ip_blocked`: the instance’s IP rules refuse the caller’s address',
    ].filter((d): d is string => d !== undefined);
    responses['403'] = {
      description: forbidden.join('; or '),
      content: { 'application/json': { schema: errorRef } },
    };
    if (route.rateLimit !== false) {
      responses['429'] ??= {
        description: 'Rate limited: wait `retry_after` seconds (also in `Retry-After`)',
        content: { 'application/json': { schema: errorRef } },
      };
    }
    if (route.access !== 'public') {
      responses['401'] ??= {
        description: 'Missing, invalid or revoked token',
        content: { 'application/json': { schema: errorRef } },
      };
    }
    const operationId = operationIdOf(route);
    const clash = operationIds.get(operationId);
    if (clash) {
      throw new Error(
        `openapi: ${route.method.toUpperCase()} ${route.path} and ${clash} share the operationId ${operationId}: give one an operationId`,
      );
    }
    operationIds.set(operationId, `${route.method.toUpperCase()} ${route.path}`);
    const operation: Json = {
      security,
      summary: route.summary,
      description: route.description,
      tags: route.tags,
      operationId,
      parameters: [...parameters(route.params, 'path', acc), ...parameters(route.query, 'query', acc)],
      responses,
    };
    if (route.body || route.multipart) {
      operation.requestBody = {
        required: true,
        content: {
          ...(route.body ? { 'application/json': { schema: convert(route.body, acc) } } : {}),
          ...(route.multipart
            ? { 'multipart/form-data': { schema: convert(route.multipart.fields, acc) } }
            : {}),
        },
      };
    }
    if (route.form) {
      // OAuth2 endpoints: the form is what RFC 6749 clients send; the same fields as JSON work too.
      const schema = convert(route.form.fields, acc);
      operation.requestBody = {
        required: true,
        content: { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } },
      };
    }
    if (route.oauth_scopes) {
      operation.security = [
        ...((operation.security as Json[] | undefined) ?? []),
        { oauth2: [...route.oauth_scopes] },
      ];
    }
    const path = toOpenApiPath(route.path);
    paths[path] = { ...(paths[path] ?? {}), [route.method]: operation };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Plexichat API',
      version: PLEXICHAT_VERSION,
      license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      description:
        'REST API of Plexichat. The realtime gateway is described in the static docs at /docs/api.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      ...acc.components,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A user token: `Authorization: Bearer <token>`',
        },
        bot: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'A bot token: `Bot <token>`',
        },
        oauth2: {
          type: 'oauth2',
          description:
            'An OAuth2 access token (`Authorization: Bearer <access_token>`), usable only on routes that list scopes. See the OAuth2 guide.',
          flows: {
            authorizationCode: {
              authorizationUrl: `${serverUrl}/oauth2/authorize`,
              tokenUrl: `${serverUrl}/oauth2/token`,
              refreshUrl: `${serverUrl}/oauth2/token`,
              scopes: SCOPE_DESCRIPTIONS,
            },
          },
        },
      },
    },
  };
}
