import type { Channel, Member, Message, Relationship, Role, Server, User, VoiceState } from './api.ts';
import type { Connection, Dispatches, Presence, ReactionEvent } from './gateway.ts';

/** One channel's loaded history, oldest first. */
export interface History {
  items: Message[];
  /** Whether older messages remain on the server. */
  hasMore: boolean;
}

/** Everything the chat shows. */
export interface State {
  me: User;
  servers: Server[];
  /** Server channels and DMs (server_id null). */
  channels: Channel[];
  relationships: Relationship[];
  history: Record<string, History>;
  /** Unread messages per channel (those that arrived while it was not open). */
  unread: Record<string, number>;
  /** Unread messages mentioning the user, per channel. */
  mentions: Record<string, number>;
  /** Who is typing where: channel id -> user id -> until (ms). */
  typing: Record<string, Record<string, number>>;
  /** Each known user's status; a user missing here is offline. */
  presences: Record<string, Presence['status']>;
  /** Members per server (loaded when the server is opened), by user id order. */
  members: Record<string, Member[]>;
  /** Roles per server (loaded when the server is opened). */
  roles: Record<string, Role[]>;
  /** Who is in a voice channel, by user id (a user is in at most one). */
  voice: Record<string, VoiceState>;
  connection: Connection;
  /** The open channel. */
  open: string | null;
}

export type Action =
  | { type: 'ready'; d: Dispatches['READY'] }
  | { type: 'resync' }
  | { type: 'connection'; state: Connection }
  | { type: 'servers'; servers: Server[] }
  | { type: 'server'; server: Server }
  | { type: 'server_gone'; id: string }
  | { type: 'channels'; serverId: string; channels: Channel[] }
  | { type: 'channel'; channel: Channel }
  | { type: 'channel_gone'; id: string }
  | { type: 'open'; channelId: string | null }
  | { type: 'start'; channelId: string }
  | { type: 'older'; channelId: string; page: Message[]; limit: number }
  | { type: 'message'; message: Message }
  | { type: 'message_gone'; channelId: string; ids: string[] }
  | { type: 'reaction'; event: ReactionEvent; added: boolean }
  | { type: 'relationship'; relationship: Relationship }
  | { type: 'relationship_gone'; userId: string }
  | { type: 'typing'; channelId: string; userId: string; until: number }
  | { type: 'presences'; presences: Presence[] }
  | { type: 'members'; serverId: string; members: Member[] }
  | { type: 'member'; member: Member }
  | { type: 'member_gone'; serverId: string; userId: string }
  | { type: 'roles'; serverId: string; roles: Role[] }
  | { type: 'role'; role: Role }
  | { type: 'role_gone'; serverId: string; roleId: string }
  | { type: 'voice_state'; state: VoiceState };

export function initialState(me: User): State {
  return {
    me,
    servers: [],
    channels: [],
    relationships: [],
    history: {},
    unread: {},
    mentions: {},
    typing: {},
    presences: {},
    members: {},
    roles: {},
    voice: {},
    connection: 'connecting',
    open: null,
  };
}

const byId = (a: { id: string }, b: { id: string }): number =>
  a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function upsert<T extends { id: string }>(list: T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return [...list, item];
  const next = list.slice();
  next[i] = item;
  return next;
}

function mentionsMe(state: State, m: Message): boolean {
  return m.mention_everyone || m.mentions.includes(state.me.id);
}

/** Adds or replaces a message in a loaded history (by id, in id order: ids are time-ordered). */
function withMessage(state: State, m: Message): State {
  const h = state.history[m.channel_id];
  const isNew = !h?.items.some((x) => x.id === m.id);
  let next = state;
  if (h) {
    const items = isNew ? [...h.items, m].sort(byId) : h.items.map((x) => (x.id === m.id ? m : x));
    next = { ...next, history: { ...next.history, [m.channel_id]: { ...h, items } } };
  }
  if (isNew && m.channel_id !== state.open && m.author_id !== state.me.id) {
    next = {
      ...next,
      unread: { ...next.unread, [m.channel_id]: (next.unread[m.channel_id] ?? 0) + 1 },
      mentions: mentionsMe(state, m)
        ? { ...next.mentions, [m.channel_id]: (next.mentions[m.channel_id] ?? 0) + 1 }
        : next.mentions,
    };
  }
  const typing = next.typing[m.channel_id];
  if (typing?.[m.author_id]) {
    const rest = { ...typing };
    delete rest[m.author_id];
    next = { ...next, typing: { ...next.typing, [m.channel_id]: rest } };
  }
  return next;
}

/** Counts one user's reaction in (or out of) a loaded message. */
function withReaction(state: State, e: ReactionEvent, added: boolean): State {
  const h = state.history[e.channel_id];
  if (!h) return state;
  const mine = e.user_id === state.me.id;
  const items = h.items.map((m) => {
    if (m.id !== e.message_id) return m;
    const current = m.reactions.find((r) => r.emoji === e.emoji) ?? { emoji: e.emoji, count: 0, me: false };
    // The caller's own reaction arrives once per session; a repeat must not count twice.
    if (mine && current.me === added) return m;
    const next = { emoji: e.emoji, count: current.count + (added ? 1 : -1), me: mine ? added : current.me };
    const others = m.reactions.filter((r) => r.emoji !== e.emoji);
    const reactions =
      next.count > 0
        ? m.reactions.some((r) => r.emoji === e.emoji)
          ? m.reactions.map((r) => (r.emoji === e.emoji ? next : r))
          : [...others, next]
        : others;
    return { ...m, reactions };
  });
  return { ...state, history: { ...state.history, [e.channel_id]: { ...h, items } } };
}

function withPresences(known: State['presences'], presences: Presence[]): State['presences'] {
  const next = { ...known };
  for (const p of presences) next[p.user_id] = p.status;
  return next;
}

const byUser = (m: Member): { id: string } => ({ id: m.user.id });

function withMember(list: Member[] | undefined, member: Member): Member[] | undefined {
  if (!list) return list;
  const i = list.findIndex((m) => m.user.id === member.user.id);
  const next = i < 0 ? [...list, member] : list.map((m, j) => (j === i ? member : m));
  return next.sort((a, b) => byId(byUser(a), byUser(b)));
}

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case 'ready':
      return {
        ...state,
        me: action.d.user,
        servers: action.d.servers,
        channels: action.d.channels.filter((c) => c.server_id !== null || c.channel_type === 'dm'),
        relationships: action.d.relationships,
        presences: withPresences(state.presences, action.d.presences ?? []),
        voice: Object.fromEntries(
          (action.d.voice_states ?? []).filter((v) => v.channel_id).map((v) => [v.user_id, v]),
        ),
      };
    case 'resync':
      // The session could not resume: what was loaded may have gaps, so it is fetched again.
      return { ...state, history: {} };
    case 'connection':
      return { ...state, connection: action.state };
    case 'servers':
      return { ...state, servers: action.servers };
    case 'server':
      return { ...state, servers: upsert(state.servers, action.server) };
    case 'server_gone':
      return {
        ...state,
        servers: state.servers.filter((s) => s.id !== action.id),
        channels: state.channels.filter((c) => c.server_id !== action.id),
      };
    case 'channels':
      return {
        ...state,
        channels: [...state.channels.filter((c) => c.server_id !== action.serverId), ...action.channels],
      };
    case 'channel':
      return { ...state, channels: upsert(state.channels, action.channel) };
    case 'channel_gone':
      return { ...state, channels: state.channels.filter((c) => c.id !== action.id) };
    case 'open': {
      if (!action.channelId) return { ...state, open: null };
      const unread = { ...state.unread };
      const mentions = { ...state.mentions };
      delete unread[action.channelId];
      delete mentions[action.channelId];
      return { ...state, open: action.channelId, unread, mentions };
    }
    case 'start':
      // Before the first page arrives, so that messages dispatched meanwhile are kept (merged by id).
      if (state.history[action.channelId]) return state;
      return { ...state, history: { ...state.history, [action.channelId]: { items: [], hasMore: true } } };
    case 'older': {
      const h = state.history[action.channelId] ?? { items: [], hasMore: true };
      const known = new Set(h.items.map((m) => m.id));
      const items = [...action.page.filter((m) => !known.has(m.id)), ...h.items].sort(byId);
      return {
        ...state,
        history: {
          ...state.history,
          [action.channelId]: { items, hasMore: action.page.length >= action.limit },
        },
      };
    }
    case 'message':
      return withMessage(state, action.message);
    case 'message_gone': {
      const h = state.history[action.channelId];
      if (!h) return state;
      const gone = new Set(action.ids);
      const items = h.items.filter((m) => !gone.has(m.id));
      return { ...state, history: { ...state.history, [action.channelId]: { ...h, items } } };
    }
    case 'reaction':
      return withReaction(state, action.event, action.added);
    case 'relationship':
      return { ...state, relationships: upsert(state.relationships, action.relationship) };
    case 'relationship_gone':
      return { ...state, relationships: state.relationships.filter((r) => r.id !== action.userId) };
    case 'typing':
      return {
        ...state,
        typing: {
          ...state.typing,
          [action.channelId]: { ...state.typing[action.channelId], [action.userId]: action.until },
        },
      };
    case 'presences':
      return { ...state, presences: withPresences(state.presences, action.presences) };
    case 'members':
      return { ...state, members: { ...state.members, [action.serverId]: action.members } };
    case 'member': {
      const list = withMember(state.members[action.member.server_id], action.member);
      return list ? { ...state, members: { ...state.members, [action.member.server_id]: list } } : state;
    }
    case 'member_gone': {
      const list = state.members[action.serverId];
      if (!list) return state;
      const members = list.filter((m) => m.user.id !== action.userId);
      return { ...state, members: { ...state.members, [action.serverId]: members } };
    }
    case 'roles':
      return { ...state, roles: { ...state.roles, [action.serverId]: action.roles } };
    case 'role': {
      const list = state.roles[action.role.server_id];
      if (!list) return state;
      const roles = upsert(list, action.role).sort((a, b) => a.position - b.position);
      return { ...state, roles: { ...state.roles, [action.role.server_id]: roles } };
    }
    case 'role_gone': {
      const list = state.roles[action.serverId];
      if (!list) return state;
      const roles = list.filter((r) => r.id !== action.roleId);
      return { ...state, roles: { ...state.roles, [action.serverId]: roles } };
    }
    case 'voice_state': {
      const voice = { ...state.voice };
      if (action.state.channel_id) voice[action.state.user_id] = action.state;
      else delete voice[action.state.user_id];
      return { ...state, voice };
    }
  }
}
