import { expect } from '@jest/globals';
import type { DispatchFrame } from '../../shared/events/index.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { addMember, makeServer } from '../api/servers/helpers.js';

/** A server with its owner and its general channel. */
export interface Room {
  owner: TestUser;
  serverId: string;
  channelId: string;
}

/** A new user owning a new server. */
export async function room(app: TestApp): Promise<Room> {
  const owner = await registerUser(app);
  const { serverId, generalId } = await makeServer(app, owner);
  return { owner, serverId, channelId: generalId };
}

/** Posts a message (stored: 200) and returns its id. */
export async function say(
  app: TestApp,
  r: Room,
  content: string,
  channelId = r.channelId,
  user = r.owner,
): Promise<string> {
  const res = await api(app, 'POST', `/channels/${channelId}/messages`, {
    token: user.token,
    body: { content },
  });
  expect(res.status).toBe(200);
  return res.body.id as string;
}

/**
 * Connects to the gateway at `origin`; with `resuming`, waits for RESUMED (or READY after
 * INVALID_SESSION) instead of READY. Every client is added to `clients` for clean-up.
 */
export async function connectTo(
  clients: GatewayClient[],
  origin: string,
  auth: Record<string, unknown>,
  resuming = false,
): Promise<GatewayClient> {
  const c = await connectGateway(origin, auth, '/gateway', (f) =>
    resuming ? f.t === 'RESUMED' || f.t === 'READY' : f.t === 'READY',
  );
  clients.push(c);
  return c;
}

/** The contents of the MESSAGE_CREATE frames, in order. */
export const contents = (frames: DispatchFrame[]) =>
  frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f as DispatchFrame<'MESSAGE_CREATE'>).d.content);

/** The session id READY named. */
export const sessionIdOf = (c: GatewayClient) =>
  (c.frames.find((f) => f.t === 'READY') as DispatchFrame<'READY'>).d.session_id;

/** A member of `r`'s server and a channel of it the member can see for now. */
export async function memberWithChannel(
  app: TestApp,
  r: Room,
): Promise<{ member: TestUser; channelId: string }> {
  const member = await registerUser(app);
  await addMember(app, r.serverId, member.id);
  const channel = await api(app, 'POST', `/servers/${r.serverId}/channels`, {
    token: r.owner.token,
    body: { name: 'soon-hidden', channel_type: 'text' },
  });
  expect(channel.status).toBe(201);
  return { member, channelId: channel.body.id as string };
}

/** Denies VIEW_CHANNEL on `channelId` to `userId` through a member overwrite. */
export async function hide(app: TestApp, r: Room, channelId: string, userId: string): Promise<void> {
  const deny = await api(app, 'PUT', `/channels/${channelId}/permissions/${userId}`, {
    token: r.owner.token,
    body: { type: 'member', allow: '0', deny: String(1n << 10n) },
  });
  expect(deny.status).toBe(204);
}
