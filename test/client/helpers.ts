import crypto from 'node:crypto';
import { Client, type ClientOptions } from '../../client/src/index.js';
import { randomIp } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';

/** A fresh account registered through the SDK, with a Client signed in as it. */
export async function sdkUser(
  app: Pick<TestApp, 'origin'>,
  options: Omit<ClientOptions, 'baseUrl'> = {},
): Promise<{ client: Client; id: string; username: string; password: string }> {
  const client = new Client({ ...options, baseUrl: app.origin });
  const username = `sdk_${crypto.randomBytes(5).toString('hex')}`;
  const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
  // A TEST-NET address per account, so registration throttles of one test do not reach another.
  const res = await client.rest.request('POST /auth/register', {
    body: { username, password },
    headers: { 'x-forwarded-for': randomIp() },
  });
  client.rest.setToken(res.token);
  return { client, id: res.user.id, username, password };
}

/** A server made through the SDK, and its first text channel. */
export async function sdkServer(client: Client, name = 'SDK test') {
  const server = await client.rest.request('POST /servers', { body: { name } });
  const channels = await client.rest.request('GET /servers/{server_id}/channels', {
    params: { server_id: server.id },
  });
  const text = channels.find((c) => c.channel_type === 'text');
  if (!text) throw new Error(`no text channel in ${JSON.stringify(channels)}`);
  return { server, channel: text };
}
