import type Joi from 'joi';
import { ApiError, ValidationError } from '../shared/errors.js';

/** What every /voice command's ack receives: `ok` plus the result, or the error body of API.md. */
export type VoiceAck =
  | ({ ok: true } & Record<string, unknown>)
  | ({ ok: false; code: string; message: string; errors?: Record<string, string> } & Record<string, unknown>);

/**
 * Runs one command: validates the payload with its joi schema, then the handler; typed errors
 * become the same error body as the REST API's (the HTTP status aside). Anything else is thrown.
 */
export async function runCommand<T>(
  schema: Joi.ObjectSchema,
  payload: unknown,
  handler: (input: T) => Promise<Record<string, unknown>>,
): Promise<VoiceAck> {
  try {
    const result: Joi.ValidationResult<unknown> = schema.validate(payload ?? {}, { abortEarly: false });
    const { error } = result;
    if (error) {
      throw new ValidationError(
        Object.fromEntries(error.details.map((d) => [d.path.join('.') || 'payload', d.message])),
      );
    }
    return { ok: true, ...(await handler(result.value as T)) };
  } catch (err) {
    if (err instanceof ApiError) {
      return {
        ok: false,
        code: err.code,
        message: err.message,
        ...(err.errors ? { errors: err.errors } : {}),
        ...err.extra,
      };
    }
    throw err;
  }
}

/**
 * mediasoup refuses bad client parameters (RTP parameters, DTLS fingerprints...) with TypeError or
 * its UnsupportedError: those are the client's fault, a 400 naming the field.
 */
export async function clientParameters<T>(field: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const name = (err as Error).name;
    if (name === 'TypeError' || name === 'UnsupportedError') {
      throw new ValidationError({ [field]: (err as Error).message });
    }
    throw err;
  }
}
