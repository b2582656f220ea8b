import type {
  ChannelObject,
  MessageObject,
  PrivateChannelObject,
  RelationshipObject,
  ServerChannelObject,
  ServerObject,
  UserObject,
} from '../presenters/types.js';
import type { MemberObject, RoleObject } from '../presenters/role.js';
import type { MessageAckObject, NotificationObject, ReadStateObject } from '../presenters/read-state.js';
import type { ThreadObject } from '../presenters/thread.js';
import type { EmojiObject } from '../presenters/emoji.js';
import type { ReportObject } from '../presenters/report.js';
import type { InteractionObject } from '../presenters/interaction.js';
import type { VoiceStateObject } from '../voice-chat/states.js';
import type { StageInstanceObject, VoiceServerUpdate } from '../voice-chat/types.js';

/** One user's reaction on a message (MESSAGE_REACTION_ADD / MESSAGE_REACTION_REMOVE). */
export interface ReactionEvent {
  channel_id: string;
  message_id: string;
  user_id: string;
  emoji: string;
}

/** READY: the first dispatch of a session. */
export interface ReadyPayload {
  session_id: string;
  user: UserObject;
  servers: ServerObject[];
  channels: ChannelObject[];
  relationships: RelationshipObject[];
  presences: PresenceObject[];
  read_states: ReadStateObject[];
  /** Who is in the voice and stage channels the user can see. */
  voice_states: VoiceStateObject[];
}

/**
 * Gateway dispatch names and their payloads (`d`). A name and its payload type cannot drift apart:
 * the publisher and the gateway are both typed by this map. Names are added with their features.
 */
export interface DispatchMap {
  READY: ReadyPayload;
  /** Sent after the replay of a resume: everything missed has been delivered. */
  RESUMED: { replayed: number };
  /** The session cannot be resumed (unknown, expired, or events lost); a fresh READY follows. s is 0. */
  INVALID_SESSION: { resumable: false; reason: string };
  PRESENCE_UPDATE: PresenceObject;
  TYPING_START: { channel_id: string; server_id: string | null; user_id: string; timestamp: number };
  MESSAGE_CREATE: MessageObject;
  MESSAGE_UPDATE: MessageObject;
  MESSAGE_DELETE: { id: string; channel_id: string };
  /** Messages deleted together by a moderator (only ids that were in the channel). */
  MESSAGE_DELETE_BULK: { ids: string[]; channel_id: string };
  /** emoji: a unicode emoji sequence or a custom emoji's `name:id`. */
  MESSAGE_REACTION_ADD: ReactionEvent;
  MESSAGE_REACTION_REMOVE: ReactionEvent;
  /** A server channel with its overwrites, or a DM / notes channel with its recipients. */
  CHANNEL_CREATE: ServerChannelObject | PrivateChannelObject;
  CHANNEL_UPDATE: ServerChannelObject;
  CHANNEL_DELETE: ServerChannelObject;
  SERVER_CREATE: ServerObject;
  SERVER_UPDATE: ServerObject;
  SERVER_DELETE: { id: string };
  /** A server's custom emoji changed (created, renamed, deleted): the whole new list, Discord style. */
  SERVER_EMOJIS_UPDATE: { server_id: string; emojis: EmojiObject[] };
  /** To the user's own room: their profile changed (avatar). */
  USER_UPDATE: UserObject;
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
  /** To the parent channel's room: a thread's viewers are its parent's viewers. */
  THREAD_CREATE: ThreadObject;
  THREAD_UPDATE: ThreadObject;
  THREAD_DELETE: { id: string; server_id: string; parent_id: string };
  /** Who joined or left a thread, with its new member_count. */
  THREAD_MEMBERS_UPDATE: {
    id: string;
    server_id: string;
    member_count: number;
    added_member_ids?: string[];
    removed_member_ids?: string[];
  };
  /** To the user's own room: one of their sessions marked a channel read. */
  MESSAGE_ACK: MessageAckObject;
  /** To the moderators who may triage it (and instance admins): a new report. */
  REPORT_CREATE: ReportObject;
  /** To the same audience: a report's status, notes or action changed. */
  REPORT_UPDATE: ReportObject;
  /** To the user's own room: they were mentioned or replied to. */
  NOTIFICATION_CREATE: NotificationObject;
  /** To a bot user's own room: a user invoked one of its application's slash commands. */
  INTERACTION_CREATE: InteractionObject;
  /** To the channel's viewers and the user: joined, left (channel_id null), muted, moved, suppressed... */
  VOICE_STATE_UPDATE: VoiceStateObject;
  /** To the session that joined: connect to this voice server with this token. */
  VOICE_SERVER_UPDATE: VoiceServerUpdate;
  /** To the stage channel's viewers: its instance started, changed topic, or ended. */
  STAGE_INSTANCE_CREATE: StageInstanceObject;
  STAGE_INSTANCE_UPDATE: StageInstanceObject;
  STAGE_INSTANCE_DELETE: StageInstanceObject;
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
  /** The event stream's entry id (its offset), with `:<room>` for a room change's announcements. */
  id: string;
  rooms: string[];
  except?: string[];
  t: K;
  d: DispatchMap[K];
}

/**
 * A change of room membership for every session in `room` (on every gateway): join or leave
 * `targets`, or end the sessions (revoked token, ban). Appended to the same Redis stream as
 * dispatches, so both are applied in the order they were published.
 */
export type RoomOp =
  | {
      op: 'join' | 'leave';
      room: string;
      targets: string[];
      /**
       * Events a session receives for each target room it actually enters (join) or leaves
       * (leave): CHANNEL_CREATE / CHANNEL_DELETE when a channel comes into or goes out of sight.
       */
      announce?: Record<string, RoomAnnouncement>;
    }
  | { op: 'disconnect'; room: string };

/** What a session is told when a room op changes what it can see. */
export type RoomAnnouncement = { t: 'CHANNEL_CREATE' | 'CHANNEL_DELETE'; d: ServerChannelObject };

/** A user's presence as others see it (invisible reads as offline to everyone but the user). */
export interface PresenceObject {
  user_id: string;
  status: 'online' | 'idle' | 'dnd' | 'invisible' | 'offline';
  activity: { type: string; name: string } | null;
}

/** The event name clients listen on. */
export const CLIENT_DISPATCH_EVENT = 'dispatch';

/** Socket.io room names: every connection is in the rooms of what it may see. */
export const rooms = {
  channel: (id: string) => `channel:${id}`,
  server: (id: string) => `server:${id}`,
  user: (id: string) => `user:${id}`,
  session: (id: string) => `session:${id}`,
};
