import type { Request, Response } from 'express';
import type Joi from 'joi';
import type { AuthContext, Caller } from '../auth/context.js';
import type { OAuthScope } from '../../shared/domain/oauth2/scopes.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route: `public` needs no token; `user` any valid token (users and bots);
 * `admin` a user with the instance admin flag.
 */
export type RouteAccess = 'public' | 'user' | 'admin';

/** What a handler receives: the validated (and converted) parts of the request, and the caller. */
export interface RouteContext<P, Q, B, A = AuthContext> {
  params: P;
  query: Q;
  body: B;
  auth: A;
  /** The client's IP (X-Forwarded-For only from trusted proxies), IPv4-mapped addresses unwrapped. */
  ip: string;
  req: Request;
  res: Response;
  /** What the route's `prefetch` started (its value or its error); null without one. */
  prefetched: Promise<unknown> | null;
}

/** What a route's `prefetch` is given: the validated params and the caller, before the rate limit. */
export interface PrefetchContext<P, A = AuthContext> {
  params: P;
  auth: A;
  req: Request;
}

/** A documented response: its description and, where there is a body, its joi schema. */
export interface ResponseSpec {
  description: string;
  schema?: Joi.Schema;
}

/**
 * One route: the joi schemas here validate the request and generate the OpenAPI document, so the
 * two cannot drift apart. `path` is in OpenAPI form (`/channels/{channel_id}`).
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown, A = AuthContext> {
  method: HttpMethod;
  access: RouteAccess;
  path: string;
  summary: string;
  /** The OpenAPI operationId, where the one derived from the method and path would clash with another's. */
  operationId?: string;
  description?: string;
  tags: string[];
  /**
   * People only: a bot token gets 403 `bots_not_allowed` before validation or the handler runs
   * (accounts, sessions, 2FA, creating servers, invites, managing applications).
   */
  userOnly?: boolean;
  /** Success status (default 200; 204 sends no body). */
  status?: number;
  params?: Joi.ObjectSchema<P>;
  query?: Joi.ObjectSchema<Q>;
  body?: Joi.ObjectSchema<B>;
  /**
   * The route also (or only) takes multipart/form-data, which its handler reads as a stream
   * (api/media/multipart.ts); `fields` documents the form's parts for the OpenAPI document.
   */
  multipart?: { fields: Joi.ObjectSchema };
  /**
   * The route also takes application/x-www-form-urlencoded (OAuth2 endpoints), which its handler
   * parses and checks itself; `fields` documents the form for the OpenAPI document.
   */
  form?: { fields: Joi.ObjectSchema };
  /**
   * OAuth2 access tokens may call this route when they hold every scope listed (`[]`: any OAuth2
   * token). Without it, an OAuth2 token gets 403 `oauth_token_not_allowed`.
   */
  oauth_scopes?: readonly OAuthScope[];
  /**
   * This route's bucket (api/security/rate-limits.ts): its limit, and a name shared by routes that
   * count together; false: not limited at all (health checks, routes with a limiter of their own).
   * Config `rate_limits.routes` overrides it.
   */
  rateLimit?: { points: number; duration_seconds: number; bucket?: string } | false;
  /**
   * The handler's first read, started once the caller is known and the params are valid, while
   * the rate limit takes its point: one wait instead of two in a row (the send path's permission
   * read). Read-only: a request the limit or validation refuses drops it unseen (having paid for
   * the read, a cached one on the send path); otherwise the handler gets it, value or error, as
   * `ctx.prefetched`, so errors keep their order (401, 429, 400, then the read's own).
   */
  prefetch?: (ctx: PrefetchContext<P, A>) => Promise<unknown>;
  responses: Record<number, ResponseSpec>;
  /** Returns the response body, or undefined when it wrote the response itself. */
  handler: (ctx: RouteContext<P, Q, B, A>) => unknown;
}

/**
 * A route for authenticated callers (`user` or `admin`): handlers get the caller in `ctx.auth`, a
 * session caller (AuthContext), or also an OAuth2 token's caller (Caller) when the route declares
 * `oauth_scopes`.
 */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: RouteSpec<P, Q, B, Caller> & { access: 'user' | 'admin'; oauth_scopes: readonly OAuthScope[] },
): RouteSpec<P, Q, B, Caller>;
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: RouteSpec<P, Q, B> & { access: 'user' | 'admin'; oauth_scopes?: undefined },
): RouteSpec<P, Q, B>;
export function defineRoute<P, Q, B>(
  spec: RouteSpec<P, Q, B, Caller> | RouteSpec<P, Q, B>,
): RouteSpec<P, Q, B, Caller> | RouteSpec<P, Q, B> {
  return spec;
}

/** A route anyone may call; `ctx.auth` is the caller when a valid token was sent anyway, else null. */
export function definePublicRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: Omit<RouteSpec<P, Q, B, AuthContext | null>, 'access'>,
): RouteSpec<P, Q, B, AuthContext | null> {
  return { ...spec, access: 'public' };
}

/** The type-erased form kept in the registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- routes of every shape share one list; each was type-checked by defineRoute
export type AnyRoute = RouteSpec<any, any, any, any>;
