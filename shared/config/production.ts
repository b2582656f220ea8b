import type { Config } from './schema.js';

/** log2(N) of OWASP's minimum scrypt parameters (N = 2^17, r = 8, p = 1). */
const OWASP_SCRYPT_COST = 17;

/** Addresses that reach only this machine: a server bound to them is not on the network. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** CIDRs that mean "everyone". */
const EVERYONE = new Set(['0.0.0.0/0', '::/0', '0.0.0.0', '::']);

/** Secret keys published in our docs and examples, and other keys nobody should run with. */
function isWellKnownKey(key: string): boolean {
  const bytes = Buffer.from(key, 'base64');
  return bytes.every((b) => b === bytes[0]);
}

/** Credentials that ship with S3-compatible servers' examples. */
const DEFAULT_S3_SECRETS = new Set(['minioadmin', 'plexichat-secret', 'S3RVER', 'secret', 'changeme']);

/**
 * What makes a production configuration unsafe, as sentences naming the keys (empty: safe). The
 * defaults pass: they bind to loopback, keep CORS closed and generate their own secrets.
 * `mode: development` accepts all of these (a machine that is not serving real users).
 */
export function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  const { server } = config;
  const exposed = !LOOPBACK_HOSTS.has(server.host);
  const https = server.public_url?.startsWith('https://') === true;
  if (exposed && !https) {
    problems.push(
      `server.host ${server.host} serves plain HTTP to the network: put a TLS-terminating proxy in front, set ` +
        'server.public_url to its https:// address and list the proxy in server.trusted_proxies (or bind server.host to 127.0.0.1)',
    );
  }
  if (https && server.trusted_proxies.length === 0) {
    problems.push(
      'server.public_url is https://, so a TLS proxy is in front, but server.trusted_proxies is empty: every client ' +
        'would share the proxy’s address for rate limits, IP rules and security events; list the proxy’s address',
    );
  }
  if (server.trusted_proxies.some((p) => EVERYONE.has(p))) {
    problems.push('server.trusted_proxies trusts every address: anyone could forge X-Forwarded-For');
  }
  if (server.trusted_proxies.length > 0 && !server.public_url) {
    problems.push(
      'server.trusted_proxies lists a proxy in front but server.public_url is not set: every URL handed out ' +
        '(attachments, avatars, emoji, webhooks, mail links) would name the listening address behind the proxy; ' +
        'set server.public_url to the address users reach',
    );
  }
  if (config.security.throttle_exempt_cidrs.some((c) => EVERYONE.has(c))) {
    problems.push(
      'security.throttle_exempt_cidrs exempts every address: registrations and failed logins per address would go uncounted',
    );
  }
  if (config.email.smtp_url && !server.public_url) {
    problems.push(
      'email.smtp_url is set but server.public_url is not: links in mails (password reset, verification) would ' +
        'point at the listening address; set server.public_url to the address users reach',
    );
  }
  if (server.cors_origins.includes('*')) {
    problems.push('server.cors_origins is "*": list the web client origins that may call the API');
  }
  if (config.security.secret_key && isWellKnownKey(config.security.secret_key)) {
    problems.push(
      'security.secret_key is a placeholder (one byte repeated): generate one with `openssl rand -base64 32`',
    );
  }
  if (config.metrics.allow_cidrs.some((c) => EVERYONE.has(c))) {
    problems.push(
      'metrics.allow_cidrs lets every address read /metrics: list your scrapers’ networks or use metrics.token',
    );
  }
  if (config.outbound.allow_private.some((c) => EVERYONE.has(c))) {
    problems.push(
      'outbound.allow_private allows every address: link previews and webhooks could reach internal services',
    );
  }
  if (config.auth.allow_insecure_http) {
    problems.push(
      'auth.allow_insecure_http is true: sign-in provider traffic (codes, tokens, keys) could travel unencrypted',
    );
  }
  if (config.security.scrypt_cost < OWASP_SCRYPT_COST) {
    problems.push(
      `security.scrypt_cost is ${config.security.scrypt_cost}: below OWASP's minimum for scrypt (${OWASP_SCRYPT_COST}, N = 2^17)`,
    );
  }
  if (!config.rate_limits.enabled) {
    problems.push('rate_limits.enabled is false: every route would be unlimited');
  }
  const s3Secret = config.storage.s3.secret_access_key;
  if (config.storage.driver === 's3' && s3Secret && DEFAULT_S3_SECRETS.has(s3Secret)) {
    problems.push(
      'storage.s3.secret_access_key is an example credential: use the storage service’s real key',
    );
  }
  return problems;
}
