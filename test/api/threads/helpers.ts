import { rooms, type DispatchFrame, type DispatchName } from '../../../shared/events/index.js';
import { api, type ApiResponse } from '../../helpers/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { member, person, type Person } from '../servers/membership-helpers.js';

/** An owner and their server (made through the API, so it has @everyone and `general`). */
export interface World {
  owner: Person;
  serverId: string;
  channelId: string;
}

export async function world(app: TestApp): Promise<World> {
  const owner = await person(app);
  const res = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'threads' } });
  if (res.status !== 201) throw new Error(`create server: ${res.status}`);
  const serverId = res.body.id as string;
  const general = await app.rt.models.Channel.findOne({ where: { server_id: serverId, name: 'general' } });
  return { owner, serverId, channelId: general?.id as string };
}

/** A new plain member of the world's server. */
export function join(app: TestApp, w: World, roleIds: string[] = []): Promise<Person> {
  return member(app, w.serverId, roleIds);
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

/** Sends a message as `who` into `channelId` and expects it stored. */
export async function send(app: TestApp, who: Person, channelId: string, content: string) {
  const res = await as(app, who, 'POST', `/channels/${channelId}/messages`, { content });
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; channel_id: string };
}

/** Starts a thread without a message as `who`. */
export async function startThread(app: TestApp, who: Person, channelId: string, name = 'a thread') {
  const res = await as(app, who, 'POST', `/channels/${channelId}/threads`, { name });
  if (res.status !== 201) throw new Error(`start thread: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; parent_id: string; thread_metadata: Record<string, unknown> };
}

/** Connects `who` to the gateway (READY received); closed by closeAll. */
export async function connect(app: TestApp, who: Person, clients: GatewayClient[]): Promise<GatewayClient> {
  const client = await connectGateway(app.origin, { token: who.token });
  clients.push(client);
  return client;
}

let markers = 0;

/**
 * Resolves once every event published before this call has reached `client` (a marker sent to the
 * user's own room after them arrived), so a test can assert what did not arrive.
 */
export async function settle(app: TestApp, client: GatewayClient, userId: string): Promise<DispatchFrame[]> {
  const id = `marker-${++markers}`;
  await app.rt.events.dispatch([rooms.user(userId)], 'MESSAGE_DELETE', { id, channel_id: 'marker' });
  await client.waitForFrames(1, (f) => f.t === 'MESSAGE_DELETE' && (f.d as { id: string }).id === id);
  return client.frames;
}

/** Frames of type `t` whose payload matches `match`. */
export function framesOf<K extends DispatchName>(
  client: GatewayClient,
  t: K,
  match: (d: DispatchFrame<K>['d']) => boolean = () => true,
): DispatchFrame<K>['d'][] {
  return client.frames
    .filter((f) => f.t === t)
    .map((f) => f.d as DispatchFrame<K>['d'])
    .filter(match);
}

/** Waits for one frame of type `t` matching `match` and returns its payload. */
export async function waitFor<K extends DispatchName>(
  client: GatewayClient,
  t: K,
  match: (d: DispatchFrame<K>['d']) => boolean = () => true,
): Promise<DispatchFrame<K>['d']> {
  const [frame] = await client.waitForFrames(1, (f) => f.t === t && match(f.d as DispatchFrame<K>['d']));
  return frame?.d as DispatchFrame<K>['d'];
}
