import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { Emitter } from './emitter.js';
import type { Schemas } from './rest.js';

type UserObject = Schemas['User'];

/** A user's presence as others see it. */
export interface Presence {
  user_id: string;
  status: 'online' | 'idle' | 'dnd' | 'invisible' | 'offline';
  activity: { type: string; name: string } | null;
}

/** One user's reaction on a message (`emoji`: unicode, or a custom emoji's `name:id`). */
export interface ReactionEvent {
  channel_id: string;
  message_id: string;
  user_id: string;
  emoji: string;
}

/** READY: the first dispatch of a session, with everything the user may see. */
export interface ReadyPayload {
  session_id: string;
  user: Schemas['SelfUser'];
  servers: Schemas['Server'][];
  channels: Schemas['Channel'][];
  relationships: Schemas['Relationship'][];
  presences: Presence[];
  read_states: Schemas['ReadState'][];
  voice_states: Schemas['VoiceState'][];
}

/** VOICE_SERVER_UPDATE: where and how to connect to the voice server for a channel. */
export interface VoiceServerUpdate {
  server_id: string;
  channel_id: string;
  /** Base URL of the voice signaling server (socket.io). */
  endpoint: string;
  /** socket.io path there; the namespace is `/voice`. */
  path: string;
  /** Single-use token for the voice connection, valid `expires_in` seconds. */
  token: string;
  expires_in: number;
  /** The router's RTP capabilities (mediasoup-client's `device.load({routerRtpCapabilities})`). */
  router_rtp_capabilities: unknown;
}

/**
 * Every dispatch name with its payload (`d`), as API.md's Gateway section lists them.
 * test/client/dispatch-names.test.ts fails when the server gains a name this map lacks.
 */
export interface DispatchMap {
  READY: ReadyPayload;
  RESUMED: { replayed: number };
  INVALID_SESSION: { resumable: false; reason: string };
  PRESENCE_UPDATE: Presence;
  TYPING_START: { channel_id: string; server_id: string | null; user_id: string; timestamp: number };
  MESSAGE_CREATE: Schemas['Message'];
  MESSAGE_UPDATE: Schemas['Message'];
  MESSAGE_DELETE: { id: string; channel_id: string };
  MESSAGE_DELETE_BULK: { ids: string[]; channel_id: string };
  MESSAGE_REACTION_ADD: ReactionEvent;
  MESSAGE_REACTION_REMOVE: ReactionEvent;
  CHANNEL_CREATE: Schemas['Channel'];
  CHANNEL_UPDATE: Schemas['Channel'];
  CHANNEL_DELETE: Schemas['Channel'];
  SERVER_CREATE: Schemas['Server'];
  SERVER_UPDATE: Schemas['Server'];
  SERVER_DELETE: { id: string };
  SERVER_EMOJIS_UPDATE: { server_id: string; emojis: Schemas['Emoji'][] };
  USER_UPDATE: UserObject;
  ROLE_CREATE: Schemas['Role'];
  ROLE_UPDATE: Schemas['Role'];
  ROLE_DELETE: { id: string; server_id: string };
  SERVER_MEMBER_ADD: Schemas['Member'];
  SERVER_MEMBER_UPDATE: Schemas['Member'];
  SERVER_MEMBER_REMOVE: { server_id: string; user: UserObject };
  SERVER_BAN_ADD: { server_id: string; user: UserObject };
  SERVER_BAN_REMOVE: { server_id: string; user: UserObject };
  RELATIONSHIP_ADD: Schemas['Relationship'];
  RELATIONSHIP_REMOVE: { id: string };
  THREAD_CREATE: Schemas['Thread'];
  THREAD_UPDATE: Schemas['Thread'];
  THREAD_DELETE: { id: string; server_id: string; parent_id: string };
  THREAD_MEMBERS_UPDATE: {
    id: string;
    server_id: string;
    member_count: number;
    added_member_ids?: string[];
    removed_member_ids?: string[];
  };
  MESSAGE_ACK: { channel_id: string; message_id: string; mention_count: number };
  REPORT_CREATE: Schemas['Report'];
  REPORT_UPDATE: Schemas['Report'];
  NOTIFICATION_CREATE: Schemas['Notification'];
  INTERACTION_CREATE: Record<string, unknown> & { id: string; token: string; channel_id: string };
  VOICE_STATE_UPDATE: Schemas['VoiceState'];
  VOICE_SERVER_UPDATE: VoiceServerUpdate;
  STAGE_INSTANCE_CREATE: Schemas['StageInstance'];
  STAGE_INSTANCE_UPDATE: Schemas['StageInstance'];
  STAGE_INSTANCE_DELETE: Schemas['StageInstance'];
}

export type DispatchName = keyof DispatchMap;

/** What the server sends as `dispatch`: name, per-session sequence number, payload. */
export type DispatchFrame<K extends DispatchName = DispatchName> = {
  [N in K]: { t: N; s: number; d: DispatchMap[N] };
}[K];

/** A command's ack: `{ok: true, ...result}` or the API's error shape. */
export type CommandAck<T = Record<string, never>> =
  ({ ok: true } & T) | { ok: false; code: string; message: string; errors?: Record<string, string> };

/** Client commands (socket.io events with an ack): what each takes and answers. */
export interface CommandMap {
  presence_update: {
    payload: {
      status: 'online' | 'idle' | 'dnd' | 'invisible';
      activity?: { type: string; name: string } | null;
    };
    result: Record<string, never>;
  };
  typing_start: { payload: { channel_id: string }; result: Record<string, never> };
  request_members: {
    payload: { server_id: string; query?: string; limit?: number; presences?: boolean };
    result: { members: Schemas['Member'][]; presences: Presence[] };
  };
  voice_state_update: {
    payload: { channel_id: string | null; self_mute?: boolean; self_deaf?: boolean };
    result: { voice_state: Schemas['VoiceState'] | null };
  };
  request_to_speak: { payload: { channel_id: string; raise?: boolean }; result: Record<string, unknown> };
  invite_speaker: { payload: { channel_id: string; user_id: string }; result: Record<string, unknown> };
  move_to_audience: { payload: { channel_id: string; user_id: string }; result: Record<string, unknown> };
}

/**
 * The `retry_after` seconds of a handshake refused `rate_limited` (connect_error's `data`), else
 * null. Other refusals (`unauthorized`, `too_many_connections`...) are not retried: trying again
 * would not change the answer.
 */
function retryAfterOf(err: Error): number | null {
  const data = (err as Error & { data?: { code?: unknown; retry_after?: unknown } }).data;
  if (data?.code !== 'rate_limited') return null;
  return typeof data.retry_after === 'number' && data.retry_after > 0 ? data.retry_after : 1;
}

/** Where the connection is: `ready` once READY (or RESUMED) arrived, until it drops. */
export type GatewayState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

type DispatchListeners = { [K in DispatchName]: (d: DispatchMap[K], frame: DispatchFrame<K>) => void };

/** Everything a Gateway emits: each dispatch by name, and its own lifecycle. */
export type GatewayEvents = DispatchListeners & {
  /** Every dispatch, in order, once each. */
  dispatch: (frame: DispatchFrame) => void;
  state: (state: GatewayState) => void;
  /** The connection dropped; a resume follows unless `willReconnect` is false. */
  disconnect: (reason: string, willReconnect: boolean) => void;
  /** A reconnect attempt is about to be made (after the backoff delay). */
  reconnecting: (attempt: number) => void;
  /** The server refused the connection (e.g. `invalid token`), or a reconnect attempt failed. */
  error: (err: Error) => void;
};

/**
 * Gateway intents: the event groups a bot's connection subscribes to (a bitfield; OR them together).
 * SERVER_MEMBERS, SERVER_PRESENCES and MESSAGE_CONTENT are privileged: the application's owner
 * enables them first (`PATCH /applications/{app_id}` with `intents`).
 */
export const Intents = {
  SERVERS: 1 << 0,
  SERVER_MEMBERS: 1 << 1,
  SERVER_MODERATION: 1 << 2,
  SERVER_EMOJIS: 1 << 3,
  SERVER_WEBHOOKS: 1 << 5,
  SERVER_VOICE_STATES: 1 << 7,
  SERVER_PRESENCES: 1 << 8,
  SERVER_MESSAGES: 1 << 9,
  SERVER_MESSAGE_REACTIONS: 1 << 10,
  SERVER_MESSAGE_TYPING: 1 << 11,
  DIRECT_MESSAGES: 1 << 12,
  DIRECT_MESSAGE_REACTIONS: 1 << 13,
  DIRECT_MESSAGE_TYPING: 1 << 14,
  MESSAGE_CONTENT: 1 << 15,
} as const;

/** How the gateway connects. */
export interface GatewayOptions {
  /** The instance's origin, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** A user token, or a bot token (`Bot` not needed: the gateway tells them apart). */
  token: string;
  /** A bot's intents (required for bots, within what its application allows); users send none. */
  intents?: number;
  /** socket.io path, `/gateway` unless the instance says otherwise. */
  path?: string;
  /** Backoff between reconnect attempts: doubles from `minDelayMs` up to `maxDelayMs`, with jitter. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number; maxAttempts?: number } | false;
  /** Extra socket.io-client options (transports, an agent in Node...). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

/**
 * The realtime gateway over socket.io: READY state, typed dispatch events (`on('MESSAGE_CREATE',
 * (message) => ...)`), acked commands, and after a drop a resume with `session_id` + `seq` under
 * exponential backoff, so events sent meanwhile arrive once and in order (then RESUMED). When the
 * server cannot resume it sends INVALID_SESSION and a fresh READY, which `ready` then holds.
 */
export class Gateway extends Emitter<GatewayEvents> {
  readonly socket: Socket;
  /** The last READY's payload; kept up to date by nothing else (it is the state at READY). */
  ready: ReadyPayload | null = null;
  /** The session this connection resumes after a drop. */
  sessionId: string | null = null;
  /** The last sequence number received: what a resume sends. */
  seq = 0;
  private current: GatewayState = 'idle';
  /** Set while reconnectNow() drops the connection on purpose. */
  private restarting = false;
  /** The handshake to try again after a `rate_limited` refusal's `retry_after`. */
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private rateLimitedAttempts = 0;

  constructor(private readonly options: GatewayOptions) {
    super();
    const reconnect = options.reconnect === false ? null : (options.reconnect ?? {});
    this.socket = io(options.baseUrl, {
      path: options.path ?? '/gateway',
      transports: ['websocket', 'polling'],
      autoConnect: false,
      reconnection: reconnect !== null,
      reconnectionDelay: reconnect?.minDelayMs ?? 1000,
      reconnectionDelayMax: reconnect?.maxDelayMs ?? 30000,
      reconnectionAttempts: reconnect?.maxAttempts ?? Infinity,
      randomizationFactor: 0.5,
      ...options.socket,
      // Read on every (re)connect: a reconnect asks to resume where this client stopped.
      auth: (cb) => cb(this.handshake()),
    });
    this.socket.on('dispatch', (frame: DispatchFrame) => this.receive(frame));
    this.socket.on('disconnect', (reason) => {
      // A server-side disconnect is deliberate (revoked token, ban, a resume elsewhere): stay down.
      const willReconnect = this.socket.active || this.restarting;
      this.setState(willReconnect ? 'reconnecting' : 'closed');
      this.emit('disconnect', reason, willReconnect);
    });
    this.socket.on('connect_error', (err) => {
      const wait = retryAfterOf(err);
      const retries = reconnect === null ? 0 : (reconnect.maxAttempts ?? Infinity);
      if (
        wait !== null &&
        this.rateLimitedAttempts < retries &&
        !this.socket.active &&
        this.current !== 'closed'
      ) {
        // Too many handshakes from this address (a whole office reconnecting after a deploy):
        // socket.io does not retry a refusal, and retrying at once would only be refused again.
        this.retryLater(wait);
        this.emit('error', err);
        return;
      }
      if (!this.socket.active) this.setState('closed');
      this.emit('error', err);
    });
    this.socket.io.on('reconnect_attempt', (attempt) => this.emit('reconnecting', attempt));
    this.socket.io.on('reconnect_failed', () => this.setState('closed'));
  }

  /** Where the connection is now. */
  get state(): GatewayState {
    return this.current;
  }

  /** Connects and resolves with READY (rejects when the handshake is refused). */
  connect(): Promise<ReadyPayload> {
    this.setState('connecting');
    const opened = new Promise<ReadyPayload>((resolve, reject) => {
      const offReady = this.once('READY', (d) => {
        offError();
        resolve(d);
      });
      const offError = this.on('error', (err) => {
        if (this.socket.active || this.retryTimer !== null) return;
        offReady();
        offError();
        reject(err);
      });
    });
    this.socket.connect();
    return opened;
  }

  /**
   * Resumes now instead of after the backoff delay, e.g. when the browser says it is back online
   * (`addEventListener('online', () => gateway.reconnectNow())`). Does nothing once closed.
   */
  reconnectNow(): void {
    if (this.current === 'closed' || this.current === 'idle') return;
    // Waiting out a rate_limited refusal: coming back online does not shorten the server's wait.
    if (this.retryTimer !== null) return;
    this.restarting = true;
    this.socket.disconnect();
    this.restarting = false;
    this.setState('reconnecting');
    this.emit('reconnecting', 0);
    this.socket.connect();
  }

  /** Closes the connection for good (no resume). */
  close(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket.disconnect();
    this.setState('closed');
  }

  /** Sends a client command and resolves with its ack (rejects after `timeoutMs` without one). */
  command<K extends keyof CommandMap>(
    name: K,
    payload: CommandMap[K]['payload'],
    timeoutMs = 10000,
  ): Promise<CommandAck<CommandMap[K]['result']>> {
    return this.socket.timeout(timeoutMs).emitWithAck(name, payload) as Promise<
      CommandAck<CommandMap[K]['result']>
    >;
  }

  /** Sets the user's presence. */
  setPresence(status: CommandMap['presence_update']['payload']['status'], activity?: Presence['activity']) {
    return this.command('presence_update', { status, ...(activity !== undefined ? { activity } : {}) });
  }

  /** Shows the user typing in a channel (for about ten seconds). */
  startTyping(channelId: string) {
    return this.command('typing_start', { channel_id: channelId });
  }

  /**
   * Joins a voice or stage channel (null leaves) and resolves with the VOICE_SERVER_UPDATE that
   * says where to connect (null when leaving); rejects with the ack's code when refused.
   */
  async joinVoice(
    channelId: string | null,
    flags: { self_mute?: boolean; self_deaf?: boolean } = {},
  ): Promise<VoiceServerUpdate | null> {
    const server =
      channelId === null ? null : this.waitFor('VOICE_SERVER_UPDATE', (d) => d.channel_id === channelId);
    const ack = await this.command('voice_state_update', { channel_id: channelId, ...flags });
    if (!ack.ok) throw Object.assign(new Error(`voice_state_update: ${ack.code}: ${ack.message}`), ack);
    return server ? (await server)[0] : null;
  }

  /** Connects again after `seconds` (plus up to half again, so an office does not come back at once). */
  private retryLater(seconds: number): void {
    this.setState('reconnecting');
    this.rateLimitedAttempts += 1;
    const attempt = this.rateLimitedAttempts;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        this.emit('reconnecting', attempt);
        this.socket.connect();
      },
      seconds * 1000 * (1 + Math.random() / 2),
    );
  }

  private handshake(): Record<string, unknown> {
    const auth: Record<string, unknown> = { token: this.options.token };
    if (this.options.intents !== undefined) auth.intents = this.options.intents;
    if (this.sessionId) Object.assign(auth, { session_id: this.sessionId, seq: this.seq });
    return auth;
  }

  private receive(frame: DispatchFrame): void {
    if (frame.t === 'READY') {
      this.ready = frame.d;
      this.sessionId = frame.d.session_id;
      this.seq = frame.s;
      this.setState('ready');
    } else if (frame.t === 'INVALID_SESSION') {
      this.sessionId = null;
      this.seq = 0;
    } else if (frame.s > 0) {
      // Never deliver an event twice, whatever a replay overlaps.
      if (frame.s <= this.seq) return;
      this.seq = frame.s;
      if (frame.t === 'RESUMED') this.setState('ready');
    }
    this.emit('dispatch', frame);
    (this.emit as (event: DispatchName, d: unknown, frame: DispatchFrame) => void)(frame.t, frame.d, frame);
  }

  private setState(state: GatewayState): void {
    if (state === 'ready') this.rateLimitedAttempts = 0;
    if (state === this.current) return;
    this.current = state;
    this.emit('state', state);
  }
}
