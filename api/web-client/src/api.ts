// Every REST call of the web client goes through this module (and the gateway through gateway.ts),
// so moving to the typed SDK in client/ touches these two files only.

/** Where the REST API is (same origin: the API serves this app). */
const API = '/api/v1';

export interface User {
  id: string;
  username: string;
  avatar_url: string | null;
  bot?: boolean;
}

export interface Server {
  id: string;
  name: string;
  owner_id: string;
  member_count: number;
}

export interface Channel {
  id: string;
  server_id: string | null;
  parent_id: string | null;
  name: string;
  channel_type: string;
  topic: string | null;
  position: number;
  /** A DM's other participants (server_id null). */
  recipients?: User[];
}

/** Someone the caller is friends with, asked, was asked by, or blocked. */
export interface Relationship {
  id: string;
  user: User;
  status: 'friend' | 'pending_incoming' | 'pending_outgoing' | 'blocked';
}

export interface Attachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
}

/** One emoji's reactions on a message: how many, and whether the caller is among them. */
export interface Reaction {
  emoji: string;
  count: number;
  me: boolean;
}

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

export interface Message {
  id: string;
  channel_id: string;
  author_id: string;
  type: string;
  content: string;
  content_html: string;
  nonce: string | null;
  created_at: number;
  edited_at: number | null;
  attachments: Attachment[];
  embeds: Embed[];
  mentions: string[];
  mention_everyone: boolean;
  reply_to: string | null;
  reactions: Reaction[];
  /** A webhook's display author (author_id is then not who to show). */
  author?: { id: string; username: string };
  /** A 202 answer: accepted, the message itself arrives over the gateway. */
  pending?: true;
}

export interface Invite {
  code: string;
}

/** What GET /invites/{code} shows before joining. */
export interface InvitePreview {
  code: string;
  server: { id: string; name: string; member_count: number };
  channel: { id: string; name: string; channel_type: string };
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

function errorOf(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { code?: string; message?: string; errors?: Record<string, string> };
  const fields = b.errors
    ? `: ${Object.entries(b.errors)
        .map(([field, why]) => `${field} ${why}`)
        .join('; ')}`
    : '';
  return new ApiError(status, b.code ?? 'http_error', `${b.message ?? `HTTP ${status}`}${fields}`);
}

/** Called when the token stops working (401): the app goes back to the sign-in form. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** Calls the REST API as the stored session; resolves with the body, rejects with an ApiError. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = storedSession()?.token;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && token) onSignedOut();
    throw errorOf(res.status, parsed);
  }
  return parsed as T;
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

export const myServers = (): Promise<Server[]> => call('GET', '/users/@me/servers');

export const createServer = (name: string): Promise<Server> => call('POST', '/servers', { name });

export const serverChannels = (serverId: string): Promise<Channel[]> =>
  call('GET', `/servers/${serverId}/channels`);

/** A page of history, newest first (before: the oldest id already shown). */
export const history = (channelId: string, before?: string, limit = 50): Promise<Message[]> =>
  call(
    'GET',
    `/channels/${channelId}/messages?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`,
  );

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

/**
 * Uploads one file (POST /attachments), reporting progress as a fraction 0..1. XMLHttpRequest
 * rather than fetch: fetch reports no upload progress.
 */
export function upload(file: File, onProgress: (fraction: number) => void): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API}/attachments`);
    const token = storedSession()?.token;
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload failed: no connection'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status !== 201) return reject(errorOf(xhr.status, body));
      onProgress(1);
      resolve((body as Attachment[])[0] as Attachment);
    };
    const form = new FormData();
    form.append('files', file, file.name);
    xhr.send(form);
  });
}
