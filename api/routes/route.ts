import type { Request, Response } from 'express';
import type Joi from 'joi';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a handler receives: the validated (and converted) parts of the request. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
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
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Success status (default 200; 204 sends no body). */
  status?: number;
  params?: Joi.ObjectSchema<P>;
  query?: Joi.ObjectSchema<Q>;
  body?: Joi.ObjectSchema<B>;
  responses: Record<number, ResponseSpec>;
  /** Returns the response body, or undefined when it wrote the response itself. */
  handler: (ctx: RouteContext<P, Q, B>) => unknown;
}

/** Identity function that infers P, Q and B from the schemas, so handlers are typed. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec<P, Q, B> {
  return spec;
}

/** The type-erased form kept in the registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- routes of every shape share one list; each was type-checked by defineRoute
export type AnyRoute = RouteSpec<any, any, any>;
