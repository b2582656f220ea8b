/**
 * The contract sweep of API.md's health, meta and docs routes, and of its route tables against the
 * OpenAPI document. See harness.ts for what the sweep is and how to run it against another instance.
 */
import { randomIp } from '../helpers/accounts.js';
import { app, call, formatsEverywhere, postRaw, sweep } from './harness.js';

describe('health, meta, docs', () => {
  sweep('answers the shapes API.md gives', async (s) => {
    const health = await call('GET', '/health');
    s.status(health, 200, 'GET /health');
    s.eq(health.body?.status, 'ok', 'health.status');
    s.ok(/^[abcr]\.\d+\.\d+-\d+$/.test(health.body?.version), `health.version ${health.body?.version}`);
    s.eq(
      Object.keys(health.body?.checks ?? {}).sort(),
      ['database', 'queues', 'redis', 'storage'],
      'health.checks keys',
    );
    const ready = await call('GET', '/ready');
    s.status(ready, 200, 'GET /ready');
    const version = await call('GET', '/version');
    s.status(version, 200, 'GET /version');
    s.ok(
      /^a\.1\.0-\d+$/.test(version.body?.version),
      `version.version ${version.body?.version} is not a.1.0-N`,
    );
    s.eq(version.body?.api, 1, 'version.api');
    s.eq(version.body?.version, health.body?.version, 'health and version agree');
    for (const path of ['/docs', '/redoc', '/docs/api']) {
      const res = await fetch(`${app.origin}${path}`);
      s.ok(res.status === 200, `GET ${path}: ${res.status}`);
      const html = await res.text();
      s.ok(!/https?:\/\/(cdn|unpkg|fonts\.googleapis|cdnjs)/.test(html), `${path} loads assets from a CDN`);
    }
    const openapi = await call('GET', '/openapi.json');
    s.status(openapi, 200, 'GET /openapi.json');
    s.ok(/^3\./.test(openapi.body?.openapi ?? ''), `openapi version ${openapi.body?.openapi}`);
    const wrongMethod = await call('DELETE', '/health');
    s.error(wrongMethod, 405, 'DELETE /health');
    s.error(await call('GET', '/no/such/route'), 404, 'an unknown route');
    const malformed = await postRaw('/auth/login', null, '{"login":', 'application/json');
    s.ok(malformed.status === 400, `malformed JSON: ${malformed.status}`);
    s.error(await call('GET', '/auth/oauth/nosuchprovider'), 404, 'an unconfigured sign-in provider');
    s.error(
      await call('GET', `/proxy?url=${encodeURIComponent('http://127.0.0.1/x.png')}`),
      403,
      'proxy of a private address',
    );
    const metrics = await fetch(`${app.origin}/metrics`, { headers: { 'x-forwarded-for': randomIp() } });
    s.oneOf(metrics, [401, 403], 'GET /metrics anonymous');
  });

  sweep('lists every route of API.md in the OpenAPI document, with its method', async (s) => {
    const doc = (await call('GET', '/openapi.json')).body;
    const paths = doc.paths as Record<string, Record<string, unknown>>;
    // A method listed on a collection (PATCH /servers/{id}/reports) may live on its items' path.
    const have = (method: string, path: string) =>
      Object.entries(paths).some(
        ([p, ops]) =>
          method.toLowerCase() in ops &&
          (p === `/api/v1${path}` ||
            p === path ||
            new RegExp(`^(/api/v1)?${path.replace(/[{}]/g, '\\$&')}/\\{[a-z_]+\\}$`).test(p)),
      );
    for (const [methods, path] of API_MD_ROUTES) {
      for (const method of methods.split('/'))
        s.ok(have(method, path), `${method} ${path} not in the OpenAPI document`);
    }
  });
});

/** Every REST route API.md's tables list (the docs routes aside), as `[methods, path]`. */
const API_MD_ROUTES: [string, string][] = [
  ['GET', '/health'],
  ['GET', '/ready'],
  ['GET', '/version'],
  ['POST', '/auth/register'],
  ['POST', '/auth/login'],
  ['POST', '/auth/mfa/totp'],
  ['POST', '/auth/logout'],
  ['GET', '/users/@me/sessions'],
  ['DELETE', '/users/@me/sessions/{session_id}'],
  ['POST', '/users/@me/mfa/totp/enable'],
  ['POST', '/users/@me/mfa/totp/confirm'],
  ['POST', '/users/@me/mfa/totp/disable'],
  ['GET/PATCH', '/users/@me'],
  ['GET', '/users/{user_id}'],
  ['GET', '/users/@me/servers'],
  ['GET', '/users/@me/relationships'],
  ['PUT/DELETE', '/users/@me/relationships/{user_id}'],
  ['POST', '/users/@me/channels'],
  ['GET', '/users/@me/notes'],
  ['POST', '/auth/password/forgot'],
  ['POST', '/auth/password/reset'],
  ['PUT', '/users/@me/password'],
  ['POST', '/users/@me/email/verify'],
  ['DELETE', '/users/@me'],
  ['POST/GET', '/users/@me/export'],
  ['POST', '/servers'],
  ['GET/PATCH/DELETE', '/servers/{server_id}'],
  ['GET/POST', '/servers/{server_id}/channels'],
  ['GET', '/servers/{server_id}/members'],
  ['GET/PATCH/DELETE', '/servers/{server_id}/members/{user_id}'],
  ['PUT/DELETE', '/servers/{server_id}/bans/{user_id}'],
  ['GET/POST', '/servers/{server_id}/roles'],
  ['PATCH/DELETE', '/servers/{server_id}/roles/{role_id}'],
  ['PUT/DELETE', '/servers/{server_id}/members/{user_id}/roles/{role_id}'],
  ['GET', '/servers/{server_id}/audit-logs'],
  ['POST', '/channels/{channel_id}/invites'],
  ['GET/POST', '/invites/{code}'],
  ['GET/PATCH/DELETE', '/channels/{channel_id}'],
  ['PUT/DELETE', '/channels/{channel_id}/permissions/{overwrite_id}'],
  ['GET/POST', '/channels/{channel_id}/messages'],
  ['GET/PATCH/DELETE', '/channels/{channel_id}/messages/{message_id}'],
  ['POST', '/channels/{channel_id}/messages/bulk-delete'],
  ['GET', '/channels/{channel_id}/pins'],
  ['PUT/DELETE', '/channels/{channel_id}/pins/{message_id}'],
  ['PUT/DELETE', '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me'],
  ['GET', '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}'],
  ['POST', '/channels/{channel_id}/typing'],
  ['POST', '/channels/{channel_id}/messages/{message_id}/threads'],
  ['POST', '/channels/{channel_id}/threads'],
  ['PUT/DELETE', '/channels/{thread_id}/thread-members/@me'],
  ['GET', '/servers/{server_id}/messages/search'],
  ['POST', '/attachments'],
  ['GET', '/media/{key}'],
  ['GET', '/proxy'],
  ['GET/POST', '/servers/{server_id}/emojis'],
  ['PATCH/DELETE', '/servers/{server_id}/emojis/{emoji_id}'],
  ['POST/GET', '/channels/{channel_id}/webhooks'],
  ['POST', '/webhooks/{webhook_id}/{token}'],
  ['GET', '/webhooks/{webhook_id}/deliveries'],
  ['POST/GET', '/applications'],
  ['PUT', '/applications/{app_id}/commands'],
  ['POST', '/interactions'],
  ['POST', '/interactions/{interaction_id}/{token}/callback'],
  ['GET', '/oauth2/authorize'],
  ['POST', '/oauth2/token'],
  ['GET', '/auth/oauth/{provider}'],
  ['GET', '/auth/oauth/{provider}/callback'],
  ['POST', '/reports'],
  ['GET/PATCH', '/servers/{server_id}/reports'],
  ['GET/POST/PATCH/DELETE', '/servers/{server_id}/automod/rules'],
  ['GET', '/admin/security-events'],
  ['GET/PUT', '/admin/ip-rules'],
  ['GET', '/admin/stats'],
  ['POST/DELETE', '/users/@me/push-subscriptions'],
  ['GET', '/users/@me/notifications'],
];

formatsEverywhere(5);
