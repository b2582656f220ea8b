/**
 * Keeps credentials out of every log line (stdout and the admin log stream get the same lines):
 * fields by name wherever an object carries them, query parameters by name in any logged URL, and
 * path segments that routes declare as credentials (`{token}` in `/webhooks/{webhook_id}/{token}`).
 * The logger (shared/logger.ts) and the API's request log (api/app.ts) both go through here.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/**
 * Object fields (request bodies, headers, anything logged) whose values are credentials: passwords,
 * tokens of every kind (sessions, reset and verification links, OAuth access/refresh, login codes),
 * 2FA tickets and codes, client secrets and PKCE verifiers. Compared lower-case.
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'current_password',
  'new_password',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'login_code',
  'code_verifier',
  'client_secret',
  'secret',
  'ticket',
  'authorization',
  'cookie',
  'set-cookie',
]);

/**
 * Query parameters that are credentials: the fields above, plus an OAuth2 authorization `code` and
 * `state` (a bare `code` field elsewhere, as in error bodies `{code: "unknown_route"}`, is not one).
 */
export const SECRET_QUERY_PARAMS: ReadonlySet<string> = new Set([...SECRET_FIELDS, 'code', 'state']);

/** Route parameters that are credentials when a route puts them in its path. */
export const SECRET_PATH_PARAMS: ReadonlySet<string> = new Set(['token']);

/** How deep redactSecrets follows nested objects (log objects are shallow; this bounds the walk). */
const MAX_DEPTH = 8;

/** The query string of `url` with the values of secret parameters replaced (the rest kept as sent). */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      let name: string;
      try {
        name = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '));
      } catch {
        // Undecodable names are judged as written.
        name = pair.slice(0, eq);
      }
      return SECRET_QUERY_PARAMS.has(name.toLowerCase()) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${redacted}${hash === -1 ? '' : url.slice(hash)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` with secret fields (`fields`, SECRET_FIELDS by default; at any depth) replaced and secret query
 * parameters removed from string fields that hold URLs (`url`, `location`, ...). Only plain objects
 * and arrays are followed: class instances (errors, requests) are left to their serializers.
 */
export function redactSecrets(
  value: unknown,
  fields: ReadonlySet<string> = SECRET_FIELDS,
  depth = 0,
): unknown {
  // Deeper than any log object goes: dropped rather than searched, so nothing leaks from below.
  if (depth > MAX_DEPTH) return typeof value === 'object' && value !== null ? '[too deep]' : value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, fields, depth + 1));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = key.toLowerCase();
    if (fields.has(name) && v !== undefined && v !== null) out[key] = REDACTED;
    else if (typeof v === 'string' && v.includes('?') && /url|location|path|uri/.test(name)) {
      out[key] = redactQuery(v);
    } else out[key] = redactSecrets(v, fields, depth + 1);
  }
  return out;
}

/** A route as the redactor needs it: its method and path template (`/webhooks/{webhook_id}/{token}`). */
export interface RouteTemplate {
  method: string;
  path: string;
}

interface CompiledRoute {
  method: string;
  segments: string[];
  /** Indexes of the segments that are credentials. */
  secret: number[];
  /** Literal segments: a more literal match wins (`/webhooks/{id}/token` over `/webhooks/{id}/{token}`). */
  literals: number;
}

const isParam = (segment: string): boolean => segment.startsWith('{') && segment.endsWith('}');

/**
 * A function that redacts a request URL (path and query) as logged: path segments that the
 * matching route declares as credentials (SECRET_PATH_PARAMS) and secret query parameters. `base`
 * is the prefix the templates are relative to (`/api/v1`). Matching is by segments, no regex, so
 * its cost is linear in the URL whatever a client sends.
 */
export function urlRedactor(routes: RouteTemplate[], base: string): (method: string, url: string) => string {
  const compiled: CompiledRoute[] = routes.map((r) => {
    const segments = r.path.split('/').filter(Boolean);
    return {
      method: r.method.toUpperCase(),
      segments,
      secret: segments.flatMap((s, i) => (isParam(s) && SECRET_PATH_PARAMS.has(s.slice(1, -1)) ? [i] : [])),
      literals: segments.filter((s) => !isParam(s)).length,
    };
  });
  // By segment count: a URL is only ever matched against routes of its own length.
  const byLength = new Map<number, { all: CompiledRoute[]; withSecrets: CompiledRoute[] }>();
  for (const r of compiled) {
    const group = byLength.get(r.segments.length) ?? { all: [], withSecrets: [] };
    group.all.push(r);
    if (r.secret.length > 0) group.withSecrets.push(r);
    byLength.set(r.segments.length, group);
  }
  const withSecrets = compiled.filter((r) => r.secret.length > 0);
  const baseSegments = base.toLowerCase().split('/').filter(Boolean);
  return (method, url) => {
    const cut = url.search(/[?#]/);
    const path = cut === -1 ? url : url.slice(0, cut);
    const rest = cut === -1 ? '' : url.slice(cut);
    // Express matches paths case-insensitively and ignores a trailing slash: so does this.
    const segments = path.split('/').filter(Boolean);
    const lower = segments.map((s) => s.toLowerCase());
    const underBase = baseSegments.every((s, i) => lower[i] === s) && segments.length > baseSegments.length;
    if (!underBase || withSecrets.length === 0) return `${path}${redactQuery(rest)}`;
    const relative = lower.slice(baseSegments.length);
    const group = byLength.get(relative.length);
    const fits = (r: CompiledRoute): boolean =>
      r.segments.every((s, i) => isParam(s) || s.toLowerCase() === relative[i]);
    // No route with a secret segment fits: whichever route matches, nothing in the path is one.
    if (!group || !group.withSecrets.some(fits)) return `${path}${redactQuery(rest)}`;
    const m = method.toUpperCase();
    const matching = group.all.filter(fits);
    // A route of the request's method decides; when none matches (a wrong method answers 404),
    // any route does: a token sent the wrong way is still a token.
    const sameMethod = matching.filter((r) => r.method === m || (m === 'HEAD' && r.method === 'GET'));
    const best = (sameMethod.length > 0 ? sameMethod : matching).sort((a, b) => b.literals - a.literals)[0];
    if (!best || best.secret.length === 0) return `${path}${redactQuery(rest)}`;
    const shown = [...segments];
    for (const i of best.secret) shown[baseSegments.length + i] = REDACTED;
    return `/${shown.join('/')}${redactQuery(rest)}`;
  };
}
