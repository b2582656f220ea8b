import { Gateway as SdkGateway } from '../../../client/src/gateway.ts';
import type { Channel, Member, Message, Relationship, Role, Server, User, VoiceState } from './api.ts';
import type { Presence, VoiceServerUpdate } from '../../../client/src/gateway.ts';

export type { Presence };
/** The statuses a user may set for themself. */
export type OwnStatus = 'online' | 'idle' | 'dnd' | 'invisible';

/** A dispatch frame of the gateway: `t` the event, `s` the session's sequence number, `d` the payload. */
export interface Frame {
  t: string;
  s: number;
  d: unknown;
}

/** The payload of READY (the fields the client uses). */
export interface Ready {
  session_id: string;
  user: User;
  servers: Server[];
  channels: Channel[];
  relationships: Relationship[];
  presences: Presence[];
  voice_states?: VoiceState[];
}

/** One user's reaction added to or removed from a message. */
export interface ReactionEvent {
  channel_id: string;
  message_id: string;
  user_id: string;
  emoji: string;
}

/** The dispatches the client handles, by name. */
export interface Dispatches {
  READY: Ready;
  RESUMED: { replayed: number };
  INVALID_SESSION: { reason: string };
  MESSAGE_CREATE: Message;
  MESSAGE_UPDATE: Message;
  MESSAGE_DELETE: { id: string; channel_id: string };
  MESSAGE_DELETE_BULK: { ids: string[]; channel_id: string };
  MESSAGE_REACTION_ADD: ReactionEvent;
  MESSAGE_REACTION_REMOVE: ReactionEvent;
  SERVER_CREATE: Server;
  SERVER_UPDATE: Server;
  SERVER_DELETE: { id: string };
  CHANNEL_CREATE: Channel;
  CHANNEL_UPDATE: Channel;
  CHANNEL_DELETE: Channel;
  RELATIONSHIP_ADD: Relationship;
  RELATIONSHIP_REMOVE: { id: string };
  TYPING_START: { channel_id: string; user_id: string; timestamp: number };
  PRESENCE_UPDATE: Presence;
  SERVER_MEMBER_ADD: Member;
  SERVER_MEMBER_UPDATE: Member;
  SERVER_MEMBER_REMOVE: { server_id: string; user: User };
  ROLE_CREATE: Role;
  ROLE_UPDATE: Role;
  ROLE_DELETE: { id: string; server_id: string };
  VOICE_STATE_UPDATE: VoiceState;
}

/** One dispatch the client handles: its name and payload, narrowed together by a switch on `t`. */
export type Dispatch = { [K in keyof Dispatches]: { t: K; d: Dispatches[K] } }[keyof Dispatches];

export type Connection = 'connecting' | 'online' | 'offline';

/**
 * The realtime connection, on the SDK's gateway client: after a drop it resumes with the session id
 * and the last sequence number seen, so the server replays what was missed (RESUMED); when it
 * cannot (INVALID_SESSION, then a fresh READY), `onResync` tells the app to refetch what it shows.
 * The browser's `online` event resumes at once rather than after the backoff.
 */
export class Gateway {
  private readonly sdk: SdkGateway;
  private readyOnce = false;
  private invalidated = false;
  private readonly offline = (): void => this.onConnection('offline');
  private readonly online = (): void => this.sdk.reconnectNow();

  constructor(
    token: string,
    private readonly onDispatch: (event: Dispatch) => void,
    private readonly onConnection: (state: Connection) => void,
    private readonly onResync: () => void,
    /** The server refused the connection for a reason the user can act on (too many open tabs). */
    onRefused: (message: string) => void = () => undefined,
  ) {
    this.sdk = new SdkGateway({
      baseUrl: location.origin,
      token,
      socket: { transports: ['websocket'] },
      reconnect: { minDelayMs: 500, maxDelayMs: 10_000 },
    });
    this.sdk.on('dispatch', (frame) => this.handle(frame as Frame));
    this.sdk.on('state', (state) => {
      if (state === 'ready') this.onConnection('online');
      else if (state === 'closed' || !navigator.onLine) this.onConnection('offline');
      else this.onConnection('connecting');
    });
    this.sdk.on('error', (err) => {
      // A rate_limited refusal is retried by the SDK after its retry_after ("Connecting…" meanwhile).
      const code = (err as Error & { data?: { code?: unknown } }).data?.code;
      if (code === 'too_many_connections') onRefused(err.message);
    });
    window.addEventListener('offline', this.offline);
    window.addEventListener('online', this.online);
    this.onConnection('connecting');
    // A refused handshake (a revoked token) shows as offline; REST calls then sign the page out.
    this.sdk.connect().catch(() => this.onConnection('offline'));
  }

  private handle(frame: Frame): void {
    switch (frame.t) {
      case 'READY': {
        const resync = this.readyOnce || this.invalidated;
        this.readyOnce = true;
        this.invalidated = false;
        this.onDispatch({ t: 'READY', d: frame.d as Ready });
        this.onConnection('online');
        if (resync) this.onResync();
        return;
      }
      case 'RESUMED':
        this.onConnection('online');
        return;
      case 'INVALID_SESSION':
        // A fresh READY follows on the same connection.
        this.invalidated = true;
        return;
      default:
        // Names the client does not handle fall through the app's switch untouched.
        this.onDispatch(frame as Dispatch);
    }
  }

  /** Announces that the user is typing in a channel (repeats within the throttle window are folded into one). */
  startTyping(channelId: string): Promise<unknown> {
    return this.sdk.startTyping(channelId);
  }

  /** Sets the user's own status (others see `invisible` as offline). */
  async setStatus(status: OwnStatus): Promise<void> {
    const ack = await this.sdk.setPresence(status);
    if (!ack.ok) throw new Error(ack.message);
  }

  /** A server's members (up to 100) with the presences of those not offline. */
  async requestMembers(serverId: string): Promise<{ members: Member[]; presences: Presence[] }> {
    const ack = await this.sdk.command('request_members', { server_id: serverId });
    if (!ack.ok) throw new Error(ack.message);
    return { members: ack.members, presences: ack.presences };
  }

  /** Joins a voice channel and resolves with where to connect; null leaves voice. */
  joinVoice(channelId: string | null, selfMute = false): Promise<VoiceServerUpdate | null> {
    return this.sdk.joinVoice(channelId, { self_mute: selfMute });
  }

  close(): void {
    window.removeEventListener('offline', this.offline);
    window.removeEventListener('online', this.online);
    this.sdk.close();
  }
}
