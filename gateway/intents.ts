import type { DispatchEnvelope, DispatchMap } from '../shared/events/index.js';
import { rooms } from '../shared/events/index.js';
import {
  ALL_INTENTS,
  Intent,
  PRIVILEGED_INTENTS,
  contentVisibleWithoutIntent,
  intentNames,
  parseIntents,
  withoutContent,
} from '../shared/intents.js';
import type { MessageObject } from '../shared/presenters/types.js';
import type { Runtime } from '../shared/runtime.js';

/** Events about servers, each under one intent (anything not listed here or below always goes). */
const SERVER_EVENTS: Record<string, number> = {
  SERVER_CREATE: Intent.SERVERS,
  SERVER_UPDATE: Intent.SERVERS,
  SERVER_DELETE: Intent.SERVERS,
  ROLE_CREATE: Intent.SERVERS,
  ROLE_UPDATE: Intent.SERVERS,
  ROLE_DELETE: Intent.SERVERS,
  CHANNEL_CREATE: Intent.SERVERS,
  CHANNEL_UPDATE: Intent.SERVERS,
  CHANNEL_DELETE: Intent.SERVERS,
  THREAD_CREATE: Intent.SERVERS,
  THREAD_UPDATE: Intent.SERVERS,
  THREAD_DELETE: Intent.SERVERS,
  THREAD_MEMBERS_UPDATE: Intent.SERVERS,
  SERVER_MEMBER_ADD: Intent.SERVER_MEMBERS,
  SERVER_MEMBER_UPDATE: Intent.SERVER_MEMBERS,
  SERVER_MEMBER_REMOVE: Intent.SERVER_MEMBERS,
  SERVER_BAN_ADD: Intent.SERVER_MODERATION,
  SERVER_BAN_REMOVE: Intent.SERVER_MODERATION,
  REPORT_CREATE: Intent.SERVER_MODERATION,
  REPORT_UPDATE: Intent.SERVER_MODERATION,
  SERVER_EMOJIS_UPDATE: Intent.SERVER_EMOJIS,
  WEBHOOKS_UPDATE: Intent.SERVER_WEBHOOKS,
  VOICE_STATE_UPDATE: Intent.SERVER_VOICE_STATES,
  STAGE_INSTANCE_CREATE: Intent.SERVERS,
  STAGE_INSTANCE_UPDATE: Intent.SERVERS,
  STAGE_INSTANCE_DELETE: Intent.SERVERS,
  PRESENCE_UPDATE: Intent.SERVER_PRESENCES,
};

/** Events in a channel: [intent in a server channel, intent in a DM]. */
const CHANNEL_EVENTS: Record<string, readonly [number, number]> = {
  MESSAGE_CREATE: [Intent.SERVER_MESSAGES, Intent.DIRECT_MESSAGES],
  MESSAGE_UPDATE: [Intent.SERVER_MESSAGES, Intent.DIRECT_MESSAGES],
  MESSAGE_DELETE: [Intent.SERVER_MESSAGES, Intent.DIRECT_MESSAGES],
  MESSAGE_DELETE_BULK: [Intent.SERVER_MESSAGES, Intent.DIRECT_MESSAGES],
  MESSAGE_REACTION_ADD: [Intent.SERVER_MESSAGE_REACTIONS, Intent.DIRECT_MESSAGE_REACTIONS],
  MESSAGE_REACTION_REMOVE: [Intent.SERVER_MESSAGE_REACTIONS, Intent.DIRECT_MESSAGE_REACTIONS],
  TYPING_START: [Intent.SERVER_MESSAGE_TYPING, Intent.DIRECT_MESSAGE_TYPING],
};

/** Which intent covers an event, for the guide's table (null: always delivered). */
export function intentOf(event: string): { server: number; direct?: number } | null {
  const channel = CHANNEL_EVENTS[event];
  if (channel) return { server: channel[0], direct: channel[1] };
  const server = SERVER_EVENTS[event];
  return server === undefined ? null : { server };
}

/** Redacted copies, one per event however many sessions need it (and serialized once). */
const redactedCopies = new WeakMap<DispatchEnvelope, DispatchEnvelope>();

function redacted(envelope: DispatchEnvelope): DispatchEnvelope {
  let copy = redactedCopies.get(envelope);
  if (!copy) {
    copy = { ...envelope, d: withoutContent(envelope.d as MessageObject) };
    redactedCopies.set(envelope, copy);
  }
  return copy;
}

function redactedNotification(envelope: DispatchEnvelope<'NOTIFICATION_CREATE'>): DispatchEnvelope {
  let copy = redactedCopies.get(envelope);
  if (!copy) {
    const message = envelope.d.message;
    const d: DispatchMap['NOTIFICATION_CREATE'] = {
      ...envelope.d,
      message: message ? { ...message, content: '' } : null,
    };
    copy = { ...envelope, d };
    redactedCopies.set(envelope, copy);
  }
  return copy;
}

/**
 * One bot session's view of the event stream: drops what its intents do not cover and blanks
 * message content without MESSAGE_CONTENT. Pure and synchronous: intents were resolved at the
 * handshake and DM channels are known from READY and CHANNEL_CREATE, so filtering costs no query.
 */
export class IntentFilter {
  private readonly ownRoom: string;
  private readonly directChannels: Set<string>;

  constructor(
    readonly userId: string,
    readonly intents: number,
    directChannelIds: Iterable<string>,
  ) {
    this.ownRoom = rooms.user(userId);
    this.directChannels = new Set(directChannelIds);
  }

  /** Whether `bit` is among the session's intents. */
  has(bit: number): boolean {
    return (this.intents & bit) === bit;
  }

  /** The envelope to deliver (itself or a redacted copy), or null to drop it. */
  apply(envelope: DispatchEnvelope): DispatchEnvelope | null {
    const { t } = envelope;
    const d = envelope.d as Record<string, unknown>;
    if (t === 'CHANNEL_CREATE' && d.server_id === null) this.directChannels.add(String(d.id));
    if (t === 'NOTIFICATION_CREATE') {
      const n = envelope as DispatchEnvelope<'NOTIFICATION_CREATE'>;
      return this.has(Intent.MESSAGE_CONTENT) || n.d.type === 'mention' ? envelope : redactedNotification(n);
    }
    const channelIntents = CHANNEL_EVENTS[t];
    if (channelIntents) {
      const direct = this.directChannels.has(String(d.channel_id));
      if (!this.has(direct ? channelIntents[1] : channelIntents[0])) return null;
      if ((t === 'MESSAGE_CREATE' || t === 'MESSAGE_UPDATE') && !this.has(Intent.MESSAGE_CONTENT)) {
        const message = d as unknown as MessageObject;
        if (!contentVisibleWithoutIntent(message, this.userId, direct)) return redacted(envelope);
      }
      return envelope;
    }
    const serverIntent = SERVER_EVENTS[t];
    if (serverIntent === undefined || this.has(serverIntent) || this.aboutSelf(envelope, d)) return envelope;
    return null;
  }

  /** Sent to the bot's own room, a DM channel's event, or an event whose subject is the bot. */
  private aboutSelf(envelope: DispatchEnvelope, d: Record<string, unknown>): boolean {
    if (envelope.rooms.includes(this.ownRoom)) return true;
    if (envelope.t.startsWith('CHANNEL_') && d.server_id === null) return true;
    const user = d.user as { id?: unknown } | undefined;
    return user?.id === this.userId || d.user_id === this.userId;
  }
}

/** Why a bot's handshake was refused: `data.code` and the message of connect_error. */
export interface IntentRefusal {
  code: 'invalid_intents' | 'disallowed_intents';
  message: string;
}

/**
 * Resolves a bot's handshake `intents` against its application: known bits only; privileged
 * ones only if the application's owner enabled them. Without `intents` (API.md's handshake is
 * `auth: {token}`) a bot gets every intent its application allows. Users' intents are ignored.
 */
export async function resolveBotIntents(
  rt: Pick<Runtime, 'models'>,
  botUserId: string,
  requested: unknown,
): Promise<{ intents: number; grantable: number } | IntentRefusal> {
  const omitted = requested === undefined || requested === null;
  const intents = omitted ? 0 : parseIntents(requested);
  if (intents === null) {
    return {
      code: 'invalid_intents',
      message: 'auth.intents must be a non-negative integer (or its decimal string) of known intent bits',
    };
  }
  const app = await rt.models.Application.findOne({
    where: { bot_user_id: botUserId },
    attributes: ['intents'],
  });
  const enabled = Number(app?.intents ?? 0) & PRIVILEGED_INTENTS;
  const grantable = (~PRIVILEGED_INTENTS | enabled) >>> 0;
  if (omitted) return { intents: ALL_INTENTS & grantable, grantable };
  const disallowed = intents & PRIVILEGED_INTENTS & ~enabled;
  if (disallowed !== 0) {
    return {
      code: 'disallowed_intents',
      message: `Privileged intents not enabled for this application: ${intentNames(disallowed).join(', ')}`,
    };
  }
  return { intents, grantable };
}
