import { Permission } from '../../../shared/permissions/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';
import { api, type ApiResponse } from '../../helpers/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { createServerWithChannel } from '../../helpers/factories.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { makeRole, member, person, type Person } from '../servers/membership-helpers.js';

export { makeRole, member, person, type Person };

/** An owner and their server with @everyone (default permissions) and a `general` text channel. */
export interface World {
  owner: Person;
  serverId: string;
  channelId: string;
}

export async function makeWorld(app: TestApp): Promise<World> {
  const owner = await person(app);
  const { server, channel } = await createServerWithChannel(app.rt, owner.id);
  return { owner, serverId: server.id, channelId: channel.id };
}

/** A request as `who`. */
export function as(
  app: TestApp,
  who: Person,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  return api(app, method, path, { token: who.token, body });
}

/** Sends a message through the API and returns it (fails the test on anything but 200). */
export async function send(
  app: TestApp,
  who: Person,
  channelId: string,
  content: string,
  extra: Record<string, unknown> = {},
): Promise<MessageObject> {
  const res = await as(app, who, 'POST', `/channels/${channelId}/messages`, { content, ...extra });
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as MessageObject;
}

/**
 * Sends with a nonce and, while the answer is 503 `send_pending` (the command queued but not yet
 * stored within queues.send_wait_ms), sends the same body again, as the SDK does: for tests whose
 * short send_wait_ms a loaded machine can outlast. Returns the stored message.
 */
export async function sendUntilStored(
  app: TestApp,
  who: Person,
  channelId: string,
  content: string,
): Promise<MessageObject> {
  const body = { content, nonce: `${content}-${Date.now()}` };
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const res = await as(app, who, 'POST', `/channels/${channelId}/messages`, body);
    if (res.status === 200) return res.body as MessageObject;
    if (res.status !== 503 || res.body.code !== 'send_pending') {
      throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
  throw new Error(`send: still send_pending after 20 attempts: ${content}`);
}

/** Stores messages directly (faster than the queue), oldest first; `at` backdates them. */
export async function seed(
  app: TestApp,
  channelId: string,
  authorId: string,
  contents: string[],
  fields: { at?: Date; attachments?: boolean | string; embeds?: boolean } = {},
): Promise<string[]> {
  const ids = contents.map(() => app.rt.snowflake.next());
  await app.rt.models.Message.bulkCreate(
    ids.map((id, i) => ({
      id,
      channel_id: channelId,
      author_id: authorId,
      content: contents[i] ?? '',
      created_at: fields.at ?? new Date(decodeSnowflake(id).timestampMs),
      // `attachments`: one image, or one file of the content type given.
      attachments: fields.attachments
        ? [
            {
              id: '1',
              filename: 'a',
              content_type: fields.attachments === true ? 'image/png' : fields.attachments,
              size: 1,
              url: '/media/a',
            },
          ]
        : [],
      embeds: fields.embeds ? [{ url: 'https://example.com', title: 'x' }] : [],
    })),
  );
  return ids;
}

/** Changes the @everyone role's permissions of a server. */
export async function setEveryone(app: TestApp, serverId: string, change: (perms: bigint) => bigint) {
  const everyone = await app.rt.models.Role.findByPk(serverId, { rejectOnEmpty: true });
  await everyone.update({ permissions: String(change(BigInt(everyone.permissions))) });
}

/** Denies `bits` to one member in one channel through the overwrites route. */
export async function denyIn(app: TestApp, w: World, channelId: string, who: Person, bits: bigint) {
  const res = await as(app, w.owner, 'PUT', `/channels/${channelId}/permissions/${who.id}`, {
    type: 'member',
    allow: '0',
    deny: String(bits),
  });
  if (res.status !== 204 && res.status !== 200) throw new Error(`overwrite: ${res.status}`);
}

/** Creates another text channel in the world's server (as its owner). */
export async function addChannel(app: TestApp, w: World, name: string): Promise<string> {
  const res = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
    name,
    channel_type: 'text',
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`channel: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** A role holding `permissions` (above @everyone), given to a new member. */
export async function memberWith(app: TestApp, w: World, permissions: bigint): Promise<Person> {
  const role = await makeRole(app, w.serverId, { position: 1, permissions });
  return member(app, w.serverId, [role.id]);
}

/** Tracks gateway clients so a test file can close them all. */
export function gateways(app: TestApp) {
  const open: GatewayClient[] = [];
  return {
    async connect(who: Person): Promise<GatewayClient> {
      const c = await connectGateway(app.origin, { token: who.token });
      open.push(c);
      return c;
    },
    closeAll(): void {
      for (const c of open) c.close();
    },
  };
}

/** gateways(app) for a test file: every client it connected is closed after the file's tests. */
export function useGateways(app: TestApp): ReturnType<typeof gateways> {
  const gw = gateways(app);
  afterAll(() => gw.closeAll());
  return gw;
}

/** `.../messages/{id}/reactions/{emoji}` with the emoji URL-encoded. */
export function reactionPath(channelId: string, messageId: string, emoji: string): string {
  return `/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;
}

export { Permission };
