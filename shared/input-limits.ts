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

/** A `%` that starts no escape: URL parsers (WHATWG's, Node's querystring) keep it as text. */
const STRAY_PERCENT = /%(?![0-9A-Fa-f]{2})/g;

/** Why an escape sequence is refused, in words a client can act on. */
export const NOT_UTF8 = 'percent-escapes that are not UTF-8 (each escape is one byte of the UTF-8 text)';

/**
 * `component` percent-decoded, or null when its escapes spell bytes that are not UTF-8 (a lone
 * continuation byte, a cut or overlong sequence, an encoded surrogate such as %ED%A0%80): Node's
 * querystring would decode those to U+FFFD and the router refuses them. A `%` that starts no
 * escape stays as it is, as URL parsers read it. `+` is left alone (a form's space: the caller's).
 */
export function decodePercentEncoded(component: string): string | null {
  if (!component.includes('%')) return component;
  try {
    return decodeURIComponent(component);
  } catch {
    // A stray `%`, or bytes that are not UTF-8: tell them apart by escaping the stray ones.
  }
  try {
    return decodeURIComponent(component.replace(STRAY_PERCENT, '%25'));
  } catch {
    return null;
  }
}

/** The query's (or form's) parameters a parser reads: Node's querystring stops at 1000 keys. */
const MAX_PARAMETERS = 1000;

/**
 * The fields of a raw `application/x-www-form-urlencoded` text (a URL's query, a form body) whose
 * percent-escapes are not UTF-8, or null. A bad value names its key; a bad key names `root` (the
 * key itself is not text to quote), as inputProblems does. Linear in the text, and a text with no
 * `%` costs one scan.
 */
export function urlencodedProblems(text: string, root: string): FieldErrors | null {
  if (!text.includes('%')) return null;
  const errors: FieldErrors = {};
  for (const pair of text.split('&', MAX_PARAMETERS)) {
    if (!pair.includes('%')) continue;
    const eq = pair.indexOf('=');
    const key = decodePercentEncoded((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
    if (key === null) {
      errors[root] ??= `${root} must not have names with ${NOT_UTF8}`;
      continue;
    }
    if (eq >= 0 && decodePercentEncoded(pair.slice(eq + 1)) === null) {
      const field = key === '' ? root : key;
      errors[field] ??= `${field} must not contain ${NOT_UTF8}`;
    }
  }
  return Object.keys(errors).length > 0 ? errors : null;
}
