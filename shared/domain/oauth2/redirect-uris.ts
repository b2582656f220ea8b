import { ValidationError, type FieldErrors } from '../../errors.js';

/** Most redirect URIs one application may register. */
export const MAX_REDIRECT_URIS = 10;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why `uri` cannot be a redirect URI, or null when it can: an absolute URI without a fragment,
 * https (http only to loopback, RFC 8252 section 7.3), or a private-use scheme with a dot for native
 * apps (`com.example.app:/callback`, RFC 8252 section 7.1).
 */
export function redirectUriProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return null;
  if (scheme === 'http')
    return LOOPBACK_HOSTS.has(url.host.replace(/:\d+$/, '')) ? null : 'http is allowed only for loopback';
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return null;
  return 'must be https, http on loopback, or a reverse-domain private-use scheme';
}

/** Each redirect URI that is not allowed, named `redirect_uris.N` with why (redirectUriProblem). */
export function redirectUriErrors(uris: string[]): FieldErrors {
  const errors: FieldErrors = {};
  uris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) errors[`redirect_uris.${i}`] = problem;
  });
  return errors;
}

/** Throws the 400 naming them when redirectUriErrors found any. */
export function requireNoRedirectUriErrors(errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) throw new ValidationError(errors, 'Invalid redirect URIs');
}
