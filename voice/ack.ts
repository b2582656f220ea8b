import type Joi from 'joi';
import { errorAck, validateCommand, type CommandAck } from '../shared/command-ack.js';
import { ApiError, ValidationError } from '../shared/errors.js';

/** What every /voice command's ack receives. */
export type VoiceAck = CommandAck;

/** Runs one command: its payload validated by `schema`, then `handler`; typed errors become the ack. */
export async function runCommand<T>(
  schema: Joi.ObjectSchema,
  payload: unknown,
  handler: (input: T) => Promise<Record<string, unknown>>,
): Promise<VoiceAck> {
  try {
    return { ok: true, ...(await handler(validateCommand<T>(schema, payload))) };
  } catch (err) {
    return errorAck(err);
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
