/**
 * What the contract sweep's tests build their cases from, through the public API as any client
 * would: accounts and sessions, servers, channels, roles, overwrites, invites, a PNG to upload, and
 * API.md's permission table. See harness.ts for the sweep itself.
 */
import crypto from 'node:crypto';
import type { ApiResponse, TestUser } from '../helpers/accounts.js';
import { call, postForm, type Caller } from './harness.js';
import { type Json, type Sweep } from './shapes.js';

/** An id nothing has: well formed, never issued. */
export const GHOST = '123456789012345678';

export interface Account extends TestUser {
  email: string;
  user: Json;
}

export async function register(s: Sweep, what = 'register'): Promise<Account> {
  const username = `cs_${crypto.randomBytes(5).toString('hex')}`;
  const password = `pw-${crypto.randomBytes(9).toString('hex')}`;
  const email = `${username}@example.test`;
  const res = await call('POST', '/auth/register', null, { username, password, email });
  if (res.status !== 201) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  s.ok(typeof res.body.token === 'string' && res.body.user, `${what}: body is not {token, user}`);
  s.user(res.body.user, `${what}.user`);
  return {
    id: res.body.user.id,
    username,
    password,
    email,
    token: res.body.token,
    headers: { authorization: `Bearer ${res.body.token}` },
    user: res.body.user,
  };
}

/** `POST /auth/login` as `a` (with `password`, else theirs); its answer. */
export const loginAs = (a: Pick<Account, 'username' | 'password'>, password = a.password) =>
  call('POST', '/auth/login', null, { login: a.username, password });

/** A further session of `a`: the token a fresh login gives. */
export const sessionOf = async (a: Pick<Account, 'username' | 'password'>, password = a.password) => ({
  token: (await loginAs(a, password)).body.token as string,
});

/** A server with its owner, its @everyone role and general channel. */
export async function makeServer(s: Sweep, owner: Caller, name = 'Sweep') {
  const res = await call('POST', '/servers', owner, { name, description: 'contract sweep' });
  s.status(res, 201, 'POST /servers');
  const server = res.body;
  const channels = (await call('GET', `/servers/${server.id}/channels`, owner)).body as Json[];
  const general = channels.find((c) => c.name === 'general' && c.channel_type === 'text');
  if (!general) throw new Error(`no general channel: ${JSON.stringify(channels)}`);
  return { server, general };
}

/** What `owner` creates with a POST of `body` to `path` (the answer's body). */
const made = async (owner: Caller, path: string, body: unknown): Promise<Json> =>
  (await call('POST', path, owner, body)).body;
/** A channel `owner` creates in `serverId`. */
export const makeChannel = (owner: Caller, serverId: string, name: string, channel_type = 'text') =>
  made(owner, `/servers/${serverId}/channels`, { name, channel_type });
/** A role `owner` creates in `serverId`. */
export const makeRole = (owner: Caller, serverId: string, name: string, permissions = '0') =>
  made(owner, `/servers/${serverId}/roles`, { name, permissions });

/** `PUT /channels/{id}/permissions/{target}`: an overwrite for a role (or the member) `target`. */
export const overwrite = (
  owner: Caller,
  channelId: string,
  target: string,
  deny: bigint,
  allow = 0n,
  type: 'role' | 'member' = 'role',
) =>
  call('PUT', `/channels/${channelId}/permissions/${target}`, owner, {
    type,
    allow: allow.toString(),
    deny: deny.toString(),
  });

export async function joinServer(who: Caller, owner: Caller, channelId: string): Promise<void> {
  const invite = await call('POST', `/channels/${channelId}/invites`, owner, {});
  const joined = await call('POST', `/invites/${invite.body.code}`, who);
  if (joined.status >= 300) throw new Error(`join: ${joined.status} ${JSON.stringify(joined.body)}`);
}

/** A fresh owner with a fresh server. */
export async function ownerWithServer(s: Sweep) {
  const owner = await register(s);
  return { owner, ...(await makeServer(s, owner)) };
}

/** The usual cast: an owner with a fresh server, and a member who joined it by invite. */
export async function ownerAndMember(s: Sweep) {
  const { owner, server, general } = await ownerWithServer(s);
  const m = await register(s);
  await joinServer(m, owner, general.id);
  return { owner, m, server, general };
}

export async function send(who: Caller, channelId: string, body: Json): Promise<ApiResponse> {
  return call('POST', `/channels/${channelId}/messages`, who, body);
}

/** A route as `[method, path, body?]`. */
export type Route = [method: string, path: string, body?: unknown];

/**
 * Each of `routes` answers `who` 404 (API.md: what one cannot see does not exist); `label` names the
 * caller in the deviation, the path with its ids as `{id}`.
 */
export async function allNotFound(s: Sweep, who: Caller, label: string, routes: Route[]): Promise<void> {
  for (const [method, path, body] of routes)
    s.error(
      await call(method, path, who, body),
      404,
      `${label}: ${method} ${path.replace(/\d{6,}/g, '{id}')}`,
    );
}

/**
 * API.md's permission table (bit positions, as its "Permissions" table gives them), written out here
 * rather than imported: the sweep uses nothing of the server's, so this copy is deliberate.
 */
const BIT = {
  CREATE_INVITE: 0,
  KICK_MEMBERS: 1,
  BAN_MEMBERS: 2,
  ADMINISTRATOR: 3,
  MANAGE_CHANNELS: 4,
  MANAGE_SERVER: 5,
  ADD_REACTIONS: 6,
  VIEW_AUDIT_LOG: 7,
  VIEW_CHANNEL: 10,
  SEND_MESSAGES: 11,
  MANAGE_MESSAGES: 13,
  ATTACH_FILES: 15,
  READ_MESSAGE_HISTORY: 16,
  MENTION_EVERYONE: 17,
  CHANGE_NICKNAME: 26,
  MANAGE_NICKNAMES: 27,
  MANAGE_ROLES: 28,
  MANAGE_WEBHOOKS: 29,
  MANAGE_EMOJIS: 30,
  CREATE_THREADS: 35,
  SEND_MESSAGES_IN_THREADS: 38,
  MODERATE_MEMBERS: 40,
  PIN_MESSAGES: 51,
} as const;
/** Each permission of API.md's table as its bit. */
export const P = Object.fromEntries(Object.entries(BIT).map(([name, bit]) => [name, 1n << BigInt(bit)])) as {
  [K in keyof typeof BIT]: bigint;
};
/** A permission set of `list`, as the decimal string the wire carries. */
export const bits = (...list: bigint[]) => list.reduce((a, b) => a | b, 0n).toString();

/** A 1x1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
/** The PNG as a data URL (emoji images, avatars). */
export const PNG_DATA_URL = `data:image/png;base64,${PNG.toString('base64')}`;

/** A form carrying the PNG as `field` (and `fields` besides). */
export function pngForm(field: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append(field, new Blob([PNG], { type: 'image/png' }), 'dot.png');
  return form;
}

/** A multipart send: `content` and one PNG as `files[0]`. */
export const sendWithFile = (who: Caller, channelId: string, content: string) =>
  postForm(who, `/channels/${channelId}/messages`, pngForm('files[0]', { content }));
