import { ValidationError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { addBotToServer } from '../applications/add-bot.js';
import { issueCode } from './codes.js';
import type { OAuthScope } from './scopes.js';

/** An authorization request the API has checked (client, redirect URI, scopes, PKCE). */
export interface CheckedRequest {
  applicationId: string;
  redirectUri: string;
  scopes: OAuthScope[];
  codeChallenge: string | null;
  /** Permissions of the bot's managed role (`bot` scope only). */
  permissions: bigint;
}

/**
 * `userId` approves an authorization request (POST /oauth2/authorize with `approve`): with the
 * `bot` scope the bot joins `serverId` first (400 naming `server_id` without one; MANAGE_SERVER
 * needed there, as adding a bot always does); then a code bound to the request, the user and the
 * grant it will become is issued (valid 60 s, once). Returns the code and the bot's server.
 */
export async function approveAuthorization(
  rt: Runtime,
  request: CheckedRequest,
  userId: string,
  serverId: string | undefined,
): Promise<{ code: string; serverId: string | null }> {
  let botServer: string | null = null;
  if (request.scopes.includes('bot')) {
    if (!serverId) throw new ValidationError({ server_id: 'is required with the bot scope' });
    await addBotToServer(rt, {
      applicationId: request.applicationId,
      serverId,
      actorId: userId,
      permissions: request.permissions,
      reason: 'OAuth2 authorization',
    });
    botServer = serverId;
  }
  const code = await issueCode(rt, {
    grant_id: rt.snowflake.next(),
    application_id: request.applicationId,
    user_id: userId,
    redirect_uri: request.redirectUri,
    scopes: request.scopes,
    code_challenge: request.codeChallenge,
    server_id: botServer,
  });
  return { code, serverId: botServer };
}
