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

/** The answer to a command that failed on a bug (logged on the server; nothing more is told). */
export const INTERNAL_ERROR_ACK: CommandAck = {
  ok: false,
  code: 'internal_error',
  message: 'Something went wrong',
};

/**
 * Runs one client command from a socket.io event's arguments and acks what it resolves to. The ack
 * is the last argument, whatever came before it (a command sent without a payload has none), and
 * the payload the first argument before it. Whatever else happens (`run` throws, synchronously or
 * not, or the ack cannot be sent) is handed to `onBug` and answered INTERNAL_ERROR_ACK: nothing a
 * client sends can leave a rejection unhandled (which shared/process-guards.ts would only log) or
 * throw out of socket.io's packet handling.
 */
export function answerCommand(
  args: unknown[],
  run: (payload: unknown) => Promise<CommandAck>,
  onBug: (err: unknown) => void,
): void {
  const ack = args.at(-1);
  const payload = args.length > 1 || typeof ack !== 'function' ? args[0] : undefined;
  const send = (answer: CommandAck): void => {
    if (typeof ack === 'function') (ack as (answer: CommandAck) => void)(answer);
  };
  const failed = (err: unknown): void => {
    onBug(err);
    try {
      // socket.io's ack marks itself sent only once it has sent: this still goes out.
      send(INTERNAL_ERROR_ACK);
    } catch (again) {
      onBug(again);
    }
  };
  let pending: Promise<CommandAck>;
  try {
    pending = run(payload);
  } catch (err) {
    failed(err);
    return;
  }
  pending.then((answer) => {
    try {
      send(answer);
    } catch (err) {
      failed(err);
    }
  }, failed);
}
