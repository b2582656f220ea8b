// Every REST call of the web client goes through this module (and the gateway through gateway.ts):
// both sit on the typed SDK in client/ (rate limits honoured, 429s waited out, typed errors).
import { RestClient, type Schemas } from '../../../client/src/rest.ts';
import { PlexichatError } from '../../../client/src/errors.ts';

/** The API's objects, as generated from its OpenAPI document (they cannot drift from the server). */
export type User = Schemas['User'];
export type Server = Schemas['Server'];
export type Channel = Schemas['Channel'] & { recipients?: User[] };
export type Relationship = Schemas['Relationship'];
export type Attachment = Schemas['Attachment'];
export type Reaction = Schemas['Reaction'];
export type Message = Schemas['Message'];
export type Invite = Schemas['Invite'];
export type InvitePreview = Schemas['InvitePreview'];

/**
 * One of this instance's media or media-proxy URLs as a path on this page's origin. The API hands
 * them out absolute, under server.public_url or else its listening address, which need not be the
 * name this page was opened at (127.0.0.1 and localhost): the page's own origin always reaches the
 * instance that serves it, and the Content-Security-Policy only lets it load images from there.
 * Any other URL is left as it is.
 */
export function onThisOrigin(url: string): string {
  try {
    const { pathname, search } = new URL(url, location.href);
    if (pathname.startsWith('/api/v1/media/') || pathname === '/api/v1/proxy') return `${pathname}${search}`;
  } catch {
    // Not a URL at all: nothing to rewrite.
  }
  return url;
}

/** The SDK's REST client on this origin (the API serves this app); the token is set per call. */
const rest = new RestClient({ baseUrl: location.origin, token: null });

/** A link preview (`type: "link"`) or a bot's or webhook's rich embed; every field may be missing. */
export interface Embed {
  type?: string;
  url?: string | null;
  title?: string | null;
  description?: string | null;
  site_name?: string | null;
  color?: number | null;
  image?: { url?: string } | null;
  thumbnail?: { url?: string } | null;
  author?: { name?: string } | null;
  footer?: { text?: string } | null;
  fields?: { name: string; value: string }[];
}

/** The signed-in account, kept in localStorage so a reload stays signed in. */
export interface Session {
  token: string;
  user: User;
}

const KEY = 'plexichat_session';

/** The stored sign-in, or null. */
export function storedSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

/** Keeps (or, with null, forgets) the sign-in. */
export function storeSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

/** An error answer of the API: status, `code`, and a message naming every offending field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The SDK's error as the app shows it: the server's message with every offending field named. */
function errorOf(err: unknown): Error {
  if (!(err instanceof PlexichatError)) return err instanceof Error ? err : new Error(String(err));
  const fields = Object.entries(err.errors)
    .map(([field, why]) => `${field} ${why}`)
    .join('; ');
  const message = err.message.replace(/^.*?: \d{3} [a-z_]+: /, '');
  return new ApiError(err.status, err.code, fields ? `${message}: ${fields}` : message);
}

/** Called when the token stops working (401): the app goes back to the sign-in form. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** Calls the REST API as the stored session; resolves with the body, rejects with an ApiError. */
export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string | number>,
): Promise<T> {
  const token = storedSession()?.token ?? null;
  rest.setToken(token, 'Bearer');
  try {
    return (await rest.send(method, path, { ...(body === undefined ? {} : { body }), query })) as T;
  } catch (err) {
    if (err instanceof PlexichatError && err.status === 401 && token) onSignedOut();
    throw errorOf(err);
  }
}

/** What /auth/login answers: a session, or a ticket to exchange with a 2FA code. */
export type LoginAnswer = Session | { mfa_required: true; ticket: string };

export const login = (login: string, password: string): Promise<LoginAnswer> =>
  call('POST', '/auth/login', { login, password });

export const loginWithCode = (ticket: string, code: string): Promise<Session> =>
  call('POST', '/auth/mfa/totp', { ticket, code });

export const register = (fields: {
  username: string;
  password: string;
  email?: string;
  invite?: string;
}): Promise<Session> => call('POST', '/auth/register', fields);

export const logout = (): Promise<void> => call('POST', '/auth/logout');

export const getUser = (id: string): Promise<User> => call('GET', `/users/${id}`);

/**
 * Every server the caller is in, oldest first: GET /users/@me/servers answers one page (50 unless
 * asked), so walk it with `after` until a short page.
 */
export async function myServers(): Promise<Server[]> {
  const all: Server[] = [];
  for (;;) {
    const after = all.at(-1)?.id ?? '0';
    const page = await call<Server[]>('GET', '/users/@me/servers', undefined, { limit: 100, after });
    all.push(...page);
    if (page.length < 100) return all;
  }
}

export const createServer = (name: string): Promise<Server> => call('POST', '/servers', { name });

export const serverChannels = (serverId: string): Promise<Channel[]> =>
  call('GET', `/servers/${serverId}/channels`);

/** A page of history, newest first (before: the oldest id already shown). */
export const history = (channelId: string, before?: string, limit = 50): Promise<Message[]> =>
  call('GET', `/channels/${channelId}/messages`, undefined, { limit, ...(before ? { before } : {}) });

export const sendMessage = (
  channelId: string,
  fields: { content?: string; nonce: string; attachments?: string[]; reply_to?: string },
): Promise<Message> => call('POST', `/channels/${channelId}/messages`, fields);

export const editMessage = (channelId: string, messageId: string, content: string): Promise<Message> =>
  call('PATCH', `/channels/${channelId}/messages/${messageId}`, { content });

export const deleteMessage = (channelId: string, messageId: string): Promise<void> =>
  call('DELETE', `/channels/${channelId}/messages/${messageId}`);

/** Adds (or, with `on` false, removes) the caller's reaction with `emoji`. */
export const react = (channelId: string, messageId: string, emoji: string, on: boolean): Promise<void> =>
  call(
    on ? 'PUT' : 'DELETE',
    `/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}/@me`,
  );

export const createInvite = (channelId: string): Promise<Invite> =>
  call('POST', `/channels/${channelId}/invites`, {});

export const previewInvite = (code: string): Promise<InvitePreview> =>
  call('GET', `/invites/${encodeURIComponent(code)}`);

export const joinInvite = (code: string): Promise<unknown> =>
  call('POST', `/invites/${encodeURIComponent(code)}`);

/** Sends or accepts a friend request (`friend`), or blocks (`blocked`). */
export const setRelationship = (userId: string, status: 'friend' | 'blocked'): Promise<unknown> =>
  call('PUT', `/users/@me/relationships/${userId}`, { status });

/** Removes a friend, a request or a block. */
export const removeRelationship = (userId: string): Promise<void> =>
  call('DELETE', `/users/@me/relationships/${userId}`);

/** The DM channel with `recipientId` (created once, then reused). */
export const openDm = (recipientId: string): Promise<Channel> =>
  call('POST', '/users/@me/channels', { recipient_id: recipientId });

/** Uploads one file (POST /attachments), reporting progress as a fraction 0..1. */
export async function upload(file: File, onProgress: (fraction: number) => void): Promise<Attachment> {
  rest.setToken(storedSession()?.token ?? null, 'Bearer');
  try {
    const [attachment] = await rest.upload([file], {
      onUploadProgress: (loaded, total) => onProgress(total > 0 ? loaded / total : 1),
    });
    if (!attachment) throw new ApiError(0, 'no_attachment', 'The upload answered no attachment');
    return attachment;
  } catch (err) {
    throw errorOf(err);
  }
}

export type Member = Schemas['Member'];
export type Role = Schemas['Role'];
export type VoiceState = Schemas['VoiceState'];
export type PermissionOverwrite = Schemas['PermissionOverwrite'];

export const serverRoles = (serverId: string): Promise<Role[]> => call('GET', `/servers/${serverId}/roles`);

export const createRole = (serverId: string, fields: { name: string; permissions?: string }): Promise<Role> =>
  call('POST', `/servers/${serverId}/roles`, fields);

export const updateRole = (
  serverId: string,
  roleId: string,
  fields: { name?: string; permissions?: string },
): Promise<Role> => call('PATCH', `/servers/${serverId}/roles/${roleId}`, fields);

export const deleteRole = (serverId: string, roleId: string): Promise<void> =>
  call('DELETE', `/servers/${serverId}/roles/${roleId}`);

/** Gives (or, with `on` false, takes) a role to a member. */
export const assignRole = (serverId: string, userId: string, roleId: string, on: boolean): Promise<void> =>
  call(on ? 'PUT' : 'DELETE', `/servers/${serverId}/members/${userId}/roles/${roleId}`);

/** One page of a server's members, by user id. */
export const serverMembers = (serverId: string, after?: string): Promise<Member[]> =>
  call('GET', `/servers/${serverId}/members`, undefined, { limit: 100, ...(after ? { after } : {}) });

export const getChannel = (channelId: string): Promise<Channel> => call('GET', `/channels/${channelId}`);

/** Sets a channel's overwrite for a role; with allow and deny both "0" it is removed. */
export const setOverwrite = (
  channelId: string,
  roleId: string,
  allow: string,
  deny: string,
): Promise<void> =>
  allow === '0' && deny === '0'
    ? call('DELETE', `/channels/${channelId}/permissions/${roleId}`)
    : call('PUT', `/channels/${channelId}/permissions/${roleId}`, { type: 'role', allow, deny });
