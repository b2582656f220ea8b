import type {
  ChannelObject,
  MessageObject,
  RelationshipObject,
  ServerObject,
  UserObject,
} from '../presenters/types.js';
import type { MemberObject, RoleObject } from '../presenters/role.js';

/** READY: the first dispatch of a session. */
export interface ReadyPayload {
  session_id: string;
  user: UserObject;
  servers: ServerObject[];
  channels: ChannelObject[];
  relationships: RelationshipObject[];
  presences: unknown[];
  read_states: unknown[];
}

/**
 * Gateway dispatch names and their payloads (`d`). A name and its payload type cannot drift apart:
 * the publisher and the gateway are both typed by this map. Names are added with their features.
 */
export interface DispatchMap {
  READY: ReadyPayload;
  RESUMED: Record<string, never>;
  MESSAGE_CREATE: MessageObject;
  MESSAGE_UPDATE: MessageObject;
  MESSAGE_DELETE: { id: string; channel_id: string };
  CHANNEL_CREATE: ChannelObject;
  CHANNEL_UPDATE: ChannelObject;
  CHANNEL_DELETE: ChannelObject;
  SERVER_CREATE: ServerObject;
  SERVER_UPDATE: ServerObject;
  SERVER_DELETE: { id: string };
  ROLE_CREATE: RoleObject;
  ROLE_UPDATE: RoleObject;
  ROLE_DELETE: { id: string; server_id: string };
  SERVER_MEMBER_ADD: MemberObject;
  SERVER_MEMBER_UPDATE: MemberObject;
  SERVER_MEMBER_REMOVE: { server_id: string; user: UserObject };
  SERVER_BAN_ADD: { server_id: string; user: UserObject };
  SERVER_BAN_REMOVE: { server_id: string; user: UserObject };
  /** A relationship appeared or changed status, from the receiving user's side. */
  RELATIONSHIP_ADD: RelationshipObject;
  /** The receiving user no longer has a relationship with user `id`. */
  RELATIONSHIP_REMOVE: { id: string };
}

export type DispatchName = keyof DispatchMap;

/** What a client receives as the `dispatch` event: name, per-session sequence number, payload. */
export interface DispatchFrame<K extends DispatchName = DispatchName> {
  t: K;
  s: number;
  d: DispatchMap[K];
}

/** What travels from any role to every gateway process, which then delivers it per connection. */
export interface DispatchEnvelope<K extends DispatchName = DispatchName> {
  rooms: string[];
  except?: string[];
  t: K;
  d: DispatchMap[K];
}

/** The server-side event name gateways listen on (never sent to clients). */
export const DISPATCH_EVENT = 'plexichat:dispatch';

/** The event name clients listen on. */
export const CLIENT_DISPATCH_EVENT = 'dispatch';

/** Socket.io room names: every connection is in the rooms of what it may see. */
export const rooms = {
  channel: (id: string) => `channel:${id}`,
  server: (id: string) => `server:${id}`,
  user: (id: string) => `user:${id}`,
  session: (id: string) => `session:${id}`,
};
