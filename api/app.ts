import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import proxyaddr from 'proxy-addr';
import { METRICS_PATH, metricsHandler } from '../shared/metrics/scrape.js';
import { findLiveSession } from '../shared/auth/sessions.js';
import { parseAuthorization } from '../shared/auth/tokens.js';
import { urlRedactor } from '../shared/log-redaction.js';
import type { Runtime } from '../shared/runtime.js';
import { createAuthenticator } from './auth/authenticate.js';
import { mountAdminDashboard } from './admin/dashboard.js';
import { mountWebClient } from './web-client-page.js';
import { mountBullBoard } from './bull-board.js';
import { mountDocs } from './docs/mount-docs.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { jsonBody } from './middleware/json-body.js';
import { httpMetrics } from './middleware/metrics.js';
import { serverTiming } from './middleware/server-timing.js';
import { requestLog } from './middleware/request-log.js';
import { warnUntrustedProxy } from './middleware/untrusted-proxy.js';
import { buildOpenApi } from './openapi.js';
import { adminRoutes } from './routes/admin/admin.js';
import { adminAccountRoutes } from './routes/admin/account-tools.js';
import { adminUserRoutes } from './routes/admin/users.js';
import { adminUserDeletionRoutes } from './routes/admin/user-deletion.js';
import { attachmentRoutes } from './routes/attachments/attachments.js';
import { emojiRoutes } from './routes/emojis/emojis.js';
import { serverIconRoutes } from './routes/servers/icon.js';
import { avatarRoutes } from './routes/users/avatar.js';
import { authRoutes } from './routes/auth/auth.js';
import { passwordResetRoutes } from './routes/auth/password.js';
import { channelRoutes } from './routes/channels/channels.js';
import { overwriteRoutes } from './routes/channels/overwrites.js';
import { healthRoutes } from './routes/health/health.js';
import { mediaRoutes } from './routes/media/media.js';
import { membershipRoutes } from './routes/membership-routes.js';
import { bulkDeleteRoutes } from './routes/messages/bulk-delete.js';
import { messageRoutes } from './routes/messages/messages.js';
import { pinRoutes } from './routes/messages/pins.js';
import { reactionRoutes } from './routes/messages/reactions.js';
import { searchRoutes } from './routes/messages/search.js';
import { instanceRoutes } from './routes/meta/instance.js';
import { metaRoutes } from './routes/meta/version.js';
import { notificationRoutes } from './routes/notifications/notifications.js';
import { notificationSettingRoutes } from './routes/notification-settings/notification-settings.js';
import { pushRoutes } from './routes/push/push.js';
import { privateChannelRoutes } from './routes/private-channels/private-channels.js';
import { proxyRoutes } from './routes/proxy/proxy.js';
import { readStateRoutes } from './routes/read-states/read-states.js';
import { relationshipRoutes } from './routes/relationships/relationships.js';
import { reportRoutes } from './routes/reports/reports.js';
import { automodRoutes } from './routes/automod/automod.js';
import { serverRoutes } from './routes/servers/servers.js';
import { threadRoutes } from './routes/threads/threads.js';
import { typingRoutes } from './routes/typing/typing.js';
import { voiceRoutes } from './routes/voice-states/voice-states.js';
import { mfaRoutes } from './routes/users/mfa.js';
import { sessionRoutes } from './routes/users/sessions.js';
import { accountRoutes } from './routes/users/account.js';
import { userRoutes } from './routes/users/users.js';
import { accountDeletionRoutes } from './routes/users/account-deletion.js';
import { dataExportRoutes } from './routes/users/export.js';
import { webhookRoutes } from './routes/webhooks/webhooks.js';
import { eventWebhookRoutes } from './routes/event-webhooks/event-webhooks.js';
import { applicationRoutes } from './routes/applications/applications.js';
import { interactionRoutes } from './routes/interactions/interactions.js';
import { mountAccountPages, mountOAuthPages } from './oauth2/pages.js';
import { oauth2ClientRoutes } from './routes/oauth2/clients.js';
import { oauth2Routes } from './routes/oauth2/oauth2.js';
import { signInRoutes } from './routes/oauth2/sign-in.js';
import { buildRouter } from './routes/registry.js';
import type { AnyRoute } from './routes/route.js';
import { ipRulesMiddleware } from './security/ip-rules.js';
import { createRateLimits } from './security/rate-limits.js';
import { createServices, type ApiServices } from './services.js';

/** Base path of the REST API. */
export const API_BASE = '/api/v1';

/** Every REST route, in the order they are matched and documented. */
export function allRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  return [
    ...healthRoutes(rt),
    ...metaRoutes(),
    ...authRoutes(rt, services),
    ...passwordResetRoutes(rt, services),
    ...instanceRoutes(rt),
    ...signInRoutes(rt, API_BASE),
    ...userRoutes(rt, services),
    ...accountDeletionRoutes(rt, services),
    ...dataExportRoutes(rt, API_BASE),
    ...accountRoutes(rt, services),
    ...sessionRoutes(rt),
    ...mfaRoutes(rt, services),
    ...adminRoutes(rt, services),
    ...adminUserRoutes(rt),
    ...adminUserDeletionRoutes(rt),
    ...adminAccountRoutes(rt),
    ...relationshipRoutes(rt),
    ...privateChannelRoutes(rt),
    ...membershipRoutes(rt, services),
    ...serverRoutes(rt),
    ...channelRoutes(rt, services),
    ...overwriteRoutes(rt),
    ...bulkDeleteRoutes(rt, services),
    ...messageRoutes(rt, services),
    ...threadRoutes(rt, services),
    ...readStateRoutes(rt),
    ...notificationRoutes(rt),
    ...notificationSettingRoutes(rt),
    ...pushRoutes(rt),
    ...reactionRoutes(rt, services),
    ...pinRoutes(rt, services),
    ...searchRoutes(rt),
    ...typingRoutes(rt),
    ...voiceRoutes(rt),
    ...mediaRoutes(rt),
    ...attachmentRoutes(rt),
    ...emojiRoutes(rt),
    ...serverIconRoutes(rt),
    ...avatarRoutes(rt),
    ...proxyRoutes(rt),
    ...webhookRoutes(rt, services),
    ...reportRoutes(rt),
    ...automodRoutes(rt),
    ...eventWebhookRoutes(rt),
    ...applicationRoutes(rt),
    ...interactionRoutes(rt, services),
    ...oauth2ClientRoutes(rt),
    ...oauth2Routes(rt),
  ];
}

/** The Express application of the API role. */
export function createApp(rt: Runtime): express.Express {
  const { config } = rt;
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from configured proxies; otherwise req.ip is the peer.
  app.set('trust proxy', config.server.trusted_proxies.length > 0 ? config.server.trusted_proxies : false);
  const services = createServices(rt);
  const routes = allRoutes(rt, services);
  // Credentials in paths (`{token}` segments), queries and headers never reach the request log.
  const redactUrl = urlRedactor(routes, API_BASE);
  app.use(requestLog(rt.logger, { redactUrl, ignore: (url) => url === `${API_BASE}/health` }));
  if (config.server.timing) app.use(serverTiming());
  const trusted = proxyaddr.compile(config.server.trusted_proxies);
  app.use(warnUntrustedProxy(rt.logger, (peer) => trusted(peer, 0)));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // ReDoc renders with a web worker from a blob and inline styles; nothing loads from elsewhere.
          'worker-src': ["'self'", 'blob:'],
          'img-src': ["'self'", 'data:'],
        },
      },
    }),
  );
  if (config.metrics.enabled) app.use(httpMetrics(rt.metrics));
  if (config.server.cors_origins.length > 0) {
    // Tokens travel in the Authorization header, never in cookies: no credentials mode needed.
    const origins = config.server.cors_origins;
    app.use(
      cors({
        origin: origins.includes('*') ? '*' : origins,
        exposedHeaders: [
          'X-RateLimit-Limit',
          'X-RateLimit-Remaining',
          'X-RateLimit-Reset',
          'X-RateLimit-Reset-After',
          'X-RateLimit-Bucket',
          'X-RateLimit-Global',
          'Retry-After',
        ],
        maxAge: 600,
      }),
    );
  }
  app.use(ipRulesMiddleware(services.ipRules));
  if (config.metrics.enabled) {
    const scrape = metricsHandler(
      config,
      rt.metrics,
      async (req) => {
        const parsed = parseAuthorization(req.headers.authorization);
        if (parsed?.scheme !== 'Bearer') return false;
        return (await findLiveSession(rt, parsed.token))?.user.is_admin === true;
      },
      false,
    );
    app.get(METRICS_PATH, (req, res) => scrape(req, res));
  }
  app.use(jsonBody(config.server.body_limit_bytes));

  app.use(API_BASE, buildRouter(routes, createAuthenticator(rt), createRateLimits(rt)));
  let openapi: Record<string, unknown> | null = null;
  const getOpenApi = (): Record<string, unknown> => (openapi ??= buildOpenApi(routes, API_BASE));
  app.get(`${API_BASE}/openapi.json`, (_req, res) => {
    res.json(getOpenApi());
  });
  if (config.docs.enabled) mountDocs(app, getOpenApi);
  if (config.admin.bull_board) mountBullBoard(app, rt);
  mountAdminDashboard(app);
  mountWebClient(app);
  mountOAuthPages(app);
  mountAccountPages(app);

  // Last but the error handler: it reads the routes mounted above (405 for a known path).
  app.use(notFound(app));
  app.use(errorHandler(rt.logger, config.server.body_limit_bytes, redactUrl));
  return app;
}
