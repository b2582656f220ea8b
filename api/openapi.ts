import Joi from 'joi';
import j2sModule from 'joi-to-swagger';
import { PLEXICHAT_VERSION } from '../shared/version.js';
import { toOpenApiPath } from './routes/registry.js';
import type { AnyRoute } from './routes/route.js';
import { SCOPE_DESCRIPTIONS } from './oauth2/scopes.js';

/** The error body of API.md, documented once and referenced by every route. */
export const errorBodySchema = Joi.object({
  code: Joi.string().required().description('snake_case error code'),
  message: Joi.string().required().description('human-readable text'),
  errors: Joi.object().pattern(Joi.string(), Joi.string()).description('every offending field and why'),
  request_id: Joi.string().description('present on 500s, to quote when reporting a problem'),
}).meta({ className: 'Error' });

type Json = Record<string, unknown>;

// joi-to-swagger is CommonJS with `module.exports = fn` and `.default = fn`; its typings describe only
// the latter, which Node's ESM interop exposes as the default import's `default` property.
const j2s = j2sModule.default;

interface Collected {
  components: Json;
}

function convert(schema: Joi.Schema, acc: Collected): Json {
  const { swagger, components } = j2s(schema, acc.components);
  // j2s returns only the components it created on this call: merge them into what we have.
  for (const [kind, entries] of Object.entries(components ?? {})) {
    acc.components[kind] = { ...(acc.components[kind] ?? {}), ...entries };
  }
  return swagger;
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
  for (const route of routes) {
    const responses: Json = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = spec.schema
        ? {
            description: spec.description,
            content: { 'application/json': { schema: convert(spec.schema, acc) } },
          }
        : { description: spec.description };
    }
    if (route.params || route.query || route.body) {
      responses['400'] ??= {
        description: 'Validation failed',
        content: { 'application/json': { schema: errorRef } },
      };
    }
    responses['500'] ??= {
      description: 'Unexpected error',
      content: { 'application/json': { schema: errorRef } },
    };
    const security =
      route.access === 'public'
        ? undefined
        : route.userOnly
          ? [{ bearer: [] }]
          : [{ bearer: [] }, { bot: [] }];
    if (route.userOnly) {
      const mine = responses['403'] as { description: string } | undefined;
      responses['403'] = {
        description: `${mine ? `${mine.description}; or ` : ''}\`bots_not_allowed\`: a bot token (people only)`,
        content: { 'application/json': { schema: errorRef } },
      };
    }
    if (route.access !== 'public') {
      responses['401'] ??= {
        description: 'Missing, invalid or revoked token',
        content: { 'application/json': { schema: errorRef } },
      };
    }
    const operation: Json = {
      security,
      summary: route.summary,
      description: route.description,
      tags: route.tags,
      operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
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
