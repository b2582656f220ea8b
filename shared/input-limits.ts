import type { FieldErrors } from './errors.js';

/** Deepest nesting of objects and arrays a request or command may have (real ones stay under 10). */
export const MAX_INPUT_DEPTH = 32;

/** Why an ill-formed string is refused, in words a client can act on. */
const LONE_SURROGATE = 'a lone surrogate (\\uD800-\\uDFFF outside a pair): it is not Unicode text';

/**
 * What no schema can accept in client input, found before validation: nesting deeper than
 * MAX_INPUT_DEPTH (validators recurse), NUL characters in strings or keys (Postgres text and
 * jsonb refuse U+0000) and ill-formed strings or keys: a lone UTF-16 surrogate, which JSON's
 * `\ud800` escape can carry and UTF-8 cannot, so pg would store U+FFFD in its place. Returns the
 * offending fields (dotted paths, `root` for the value itself; a bad key names the object holding
 * it), or null. Iterative, so a hostile body cannot exhaust the stack here.
 */
export function inputProblems(value: unknown, root: string): FieldErrors | null {
  const errors: FieldErrors = {};
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: string[] };
    const field = path.length > 0 ? path.join('.') : root;
    if (typeof current === 'string') {
      if (current.includes('\0')) errors[field] ??= `${field} must not contain NUL characters`;
      else if (!current.isWellFormed()) errors[field] ??= `${field} must not contain ${LONE_SURROGATE}`;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (path.length >= MAX_INPUT_DEPTH) {
      // The top-level field: a path 32 keys long would only bury the name.
      const top = path[0] ?? root;
      errors[top] ??= `${top} is nested too deeply (at most ${MAX_INPUT_DEPTH} levels)`;
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      if (key.includes('\0')) {
        errors[field] ??= `${field} must not have keys containing NUL characters`;
        continue;
      }
      if (!key.isWellFormed()) {
        errors[field] ??= `${field} must not have keys containing ${LONE_SURROGATE}`;
        continue;
      }
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return Object.keys(errors).length > 0 ? errors : null;
}
