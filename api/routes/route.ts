import type { Request, Response } from 'express';
import type Joi from 'joi';
import type { AuthContext } from '../auth/context.js';

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
  description?: string;
  tags: string[];
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
  responses: Record<number, ResponseSpec>;
  /** Returns the response body, or undefined when it wrote the response itself. */
  handler: (ctx: RouteContext<P, Q, B, A>) => unknown;
}

/** A route for authenticated callers (`user` or `admin`): handlers get the caller in `ctx.auth`. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: RouteSpec<P, Q, B> & { access: 'user' | 'admin' },
): RouteSpec<P, Q, B> {
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
