import type Joi from 'joi';
import { ValidationError, type FieldErrors } from '../../shared/errors.js';
import { inputProblems } from '../../shared/input-limits.js';

const options: Joi.ValidationOptions = {
  abortEarly: false,
  convert: true,
  stripUnknown: false,
  errors: { wrap: { label: false } },
};

/**
 * Validates one part of a request, throwing a 400 that names every bad field. `context` is what the
 * schema's `$` references read (the registry passes the caller as `$auth`). `found` are problems
 * the caller saw in the part before it was parsed (a query's escapes that are not UTF-8, which
 * its parser turned into U+FFFD): refused like inputProblems', naming the same fields.
 */
export function validatePart<T>(
  schema: Joi.ObjectSchema<T>,
  value: unknown,
  part: 'params' | 'query' | 'body',
  context?: Record<string, unknown>,
  found: FieldErrors | null = null,
): T {
  // Before joi: its recursion must not meet a bottomless body, and Postgres refuses NUL in text.
  const seen = inputProblems(value, part);
  const problems = seen || found ? { ...seen, ...found } : null;
  if (problems) throw new ValidationError(problems, `Invalid ${part}: ${Object.keys(problems).join(', ')}`);
  const result: Joi.ValidationResult<T> = schema.validate(value, context ? { ...options, context } : options);
  const { error } = result;
  if (!error) return result.value;
  const errors: FieldErrors = {};
  for (const detail of error.details) {
    // "x requires y" errors sit on the object; name the missing field instead.
    const peer =
      detail.type === 'object.with' ? (detail.context?.peerWithLabel as string | undefined) : undefined;
    const key = peer ?? (detail.path.length > 0 ? detail.path.join('.') : part);
    errors[key] ??= detail.message;
  }
  throw new ValidationError(errors, `Invalid ${part}: ${Object.keys(errors).join(', ')}`);
}

/**
 * Validates a request's parts in turn and keeps going past a bad one, so that one 400 names every
 * offending field of params, query and body together (API.md: every offending field named).
 */
export class RequestValidation {
  private readonly errors: FieldErrors = {};
  private readonly failed: string[] = [];

  /** The part's validated value (validatePart); undefined (recorded for `finish`) when it is invalid. */
  part<T>(
    schema: Joi.ObjectSchema<T>,
    value: unknown,
    part: 'params' | 'query' | 'body',
    context?: Record<string, unknown>,
    found: FieldErrors | null = null,
  ): T | undefined {
    try {
      return validatePart(schema, value, part, context, found);
    } catch (err) {
      if (!(err instanceof ValidationError) || !err.errors) throw err;
      for (const [field, why] of Object.entries(err.errors)) this.errors[field] ??= why;
      this.failed.push(part);
      return undefined;
    }
  }

  /** Throws the 400 naming every bad field of every part validated so far, if there is one. */
  finish(): void {
    if (this.failed.length === 0) return;
    throw new ValidationError(
      this.errors,
      `Invalid ${this.failed.join(', ')}: ${Object.keys(this.errors).join(', ')}`,
    );
  }
}
