import type Joi from 'joi';
import { clientDatabaseError } from './db/errors.js';
import { ApiError, ValidationError } from './errors.js';
import { inputProblems } from './input-limits.js';

/**
 * What a socket.io client command's ack receives (gateway and voice signaling alike): `ok` plus
 * the result, or the error body of API.md (the HTTP status aside).
 */
export type CommandAck =
  | ({ ok: true } & Record<string, unknown>)
  | ({ ok: false; code: string; message: string; errors?: Record<string, string> } & Record<string, unknown>);

/** A command's payload checked against its joi schema: 400 `validation_error` naming every bad field. */
export function validateCommand<T>(schema: Joi.ObjectSchema, payload: unknown): T {
  const problems = inputProblems(payload, 'payload');
  if (problems) throw new ValidationError(problems);
  // Messages as the REST routes word them (`status must be ...`, the field not in quotes).
  const result: Joi.ValidationResult<unknown> = schema.validate(payload ?? {}, {
    abortEarly: false,
    errors: { wrap: { label: false } },
  });
  if (result.error) {
    const errors: Record<string, string> = {};
    for (const d of result.error.details) errors[d.path.join('.') || 'payload'] ??= d.message;
    throw new ValidationError(errors, `Invalid payload: ${Object.keys(errors).join(', ')}`);
  }
  return result.value as T;
}

/** The ack of a command that threw a typed error; anything else is rethrown (a bug, logged by the caller). */
export function errorAck(err: unknown): CommandAck {
  const known = err instanceof ApiError ? err : clientDatabaseError(err);
  if (!known) throw err;
  return {
    ok: false,
    code: known.code,
    message: known.message,
    ...(known.errors ? { errors: known.errors } : {}),
    ...known.extra,
  };
}
