/** Where the app is served (vite.config.ts `base`). */
export const BASE = '/app/';

const INVITE_KEY = 'plexichat_invite';

/** The invite code of an /app/invite/<code> path, or null. */
export function inviteInPath(path: string): string | null {
  const m = /^\/app\/invite\/([^/?#]+)/.exec(path);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

/** Keeps an invite to join once signed in. */
export function rememberInvite(code: string): void {
  sessionStorage.setItem(INVITE_KEY, code);
}

/** The invite waiting to be joined, if any; it is forgotten once taken. */
export function takeInvite(): string | null {
  const code = sessionStorage.getItem(INVITE_KEY);
  sessionStorage.removeItem(INVITE_KEY);
  return code;
}

/** The invite waiting to be joined, left in place (registration sends it along). */
export function pendingInvite(): string | null {
  return sessionStorage.getItem(INVITE_KEY);
}

/** The path of a channel, /app/channels/<server>/<channel>. */
export const channelPath = (serverId: string, channelId: string): string =>
  `${BASE}channels/${serverId}/${channelId}`;

/** The "server" of direct messages in paths: /app/channels/@me/<dm>. */
export const DMS = '@me';

/** The server and channel of the current path, when it is a channel's. */
export function channelInPath(path: string): { serverId: string; channelId: string | null } | null {
  const m = /^\/app\/channels\/(\d+|@me)(?:\/(\d+))?/.exec(path);
  return m?.[1] ? { serverId: m[1], channelId: m[2] ?? null } : null;
}

/** The link to share for an invite code. */
export const inviteLink = (code: string): string =>
  `${location.origin}${BASE}invite/${encodeURIComponent(code)}`;
