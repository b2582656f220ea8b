import type { Row } from '../../../shared/db/models/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { ownedApplication } from '../../../shared/domain/applications/applications.js';
import { regenerateClientSecret, setRedirectUris } from '../../../shared/domain/oauth2/clients.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { appIdParams, clientObject, clientSecretResponse, redirectUrisBody } from './schema.js';

function presentClient(app: Row<'Application'>) {
  return { client_id: app.id, redirect_uris: app.redirect_uris, has_secret: app.client_secret_hash !== null };
}

/** An application's OAuth2 client settings, for its owner: the secret and the redirect URIs. */
export function oauth2ClientRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<{ app_id: string }>({
      method: 'get',
      path: '/applications/{app_id}/oauth2',
      access: 'user',
      userOnly: true,
      summary: 'An application’s OAuth2 client settings',
      tags: ['OAuth2'],
      params: appIdParams,
      responses: {
        200: { description: 'client_id, redirect URIs, whether a secret exists', schema: clientObject },
        404: { description: 'Unknown application, or not the caller’s' },
      },
      handler: async ({ params, auth }) =>
        presentClient((await ownedApplication(rt, auth.user.id, params.app_id)).app),
    }),
    defineRoute<{ app_id: string }>({
      method: 'post',
      path: '/applications/{app_id}/oauth2/secret',
      access: 'user',
      userOnly: true,
      summary: 'Generate the client secret (shown once)',
      description:
        'Replaces any previous secret, which stops working at once; tokens already issued stay valid. ' +
        'Only its SHA-256 is kept. A client with a secret is confidential; without one it is public and ' +
        'must use PKCE.',
      tags: ['OAuth2'],
      params: appIdParams,
      responses: {
        200: { description: 'The new secret', schema: clientSecretResponse },
        404: { description: 'Unknown application, or not the caller’s' },
      },
      handler: async ({ params, auth, res }) => {
        const { application, secret } = await regenerateClientSecret(rt, auth.user.id, params.app_id);
        res.setHeader('Cache-Control', 'no-store');
        return { client_id: application.id, client_secret: secret };
      },
    }),
    defineRoute<{ app_id: string }, Record<string, never>, { redirect_uris: string[] }>({
      method: 'put',
      path: '/applications/{app_id}/oauth2/redirect-uris',
      access: 'user',
      userOnly: true,
      summary: 'Replace the redirect URIs',
      description:
        'The authorization endpoint accepts exactly these (string equality, no prefix or wildcard ' +
        'matching). Each is https, http to loopback (`localhost`, `127.0.0.1`, `[::1]`, any port), or a ' +
        'private-use scheme with a dot for native apps (`com.example.app:/cb`); no fragment. At most 10.',
      tags: ['OAuth2'],
      params: appIdParams,
      body: redirectUrisBody,
      responses: {
        200: { description: 'The client settings', schema: clientObject },
        400: { description: 'A redirect URI that is not allowed (`redirect_uris.N` names it)' },
        404: { description: 'Unknown application, or not the caller’s' },
      },
      handler: async ({ params, body, auth }) => {
        const app = await setRedirectUris(rt, auth.user.id, params.app_id, body.redirect_uris);
        return presentClient(app);
      },
    }),
  ];
}
