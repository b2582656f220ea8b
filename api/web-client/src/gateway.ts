import { io, type Socket } from 'socket.io-client';
import type { Channel, Message, Relationship, Server, User } from './api.ts';

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
}

/** One dispatch the client handles: its name and payload, narrowed together by a switch on `t`. */
export type Dispatch = { [K in keyof Dispatches]: { t: K; d: Dispatches[K] } }[keyof Dispatches];

export type Connection = 'connecting' | 'online' | 'offline';

/**
 * The realtime connection: socket.io on /gateway. After a drop it reconnects with the session id
 * and the last sequence number seen, so the server replays what was missed (RESUMED); when it cannot
 * (INVALID_SESSION, then a fresh READY), `onResync` tells the app to refetch what it shows.
 */
export class Gateway {
  private socket: Socket;
  private sessionId: string | null = null;
  private seq = 0;
  private invalidated = false;
  private readonly offline = (): void => {
    // The browser knows the network is gone before any heartbeat would: drop now, resume on return.
    this.socket.disconnect();
    this.onConnection('offline');
  };
  private readonly online = (): void => {
    if (!this.socket.connected) this.connect();
  };

  constructor(
    token: string,
    private readonly onDispatch: (event: Dispatch) => void,
    private readonly onConnection: (state: Connection) => void,
    private readonly onResync: () => void,
  ) {
    this.socket = io({
      path: '/gateway',
      transports: ['websocket'],
      autoConnect: false,
      // Called on every (re)connection: a resume once a session exists.
      auth: (cb) => cb(this.sessionId ? { token, session_id: this.sessionId, seq: this.seq } : { token }),
    });
    this.socket.on('dispatch', (frame: Frame) => this.handle(frame));
    this.socket.on('disconnect', () => this.onConnection(navigator.onLine ? 'connecting' : 'offline'));
    this.socket.on('connect_error', () => this.onConnection('connecting'));
    window.addEventListener('offline', this.offline);
    window.addEventListener('online', this.online);
    this.connect();
  }

  private connect(): void {
    this.onConnection('connecting');
    this.socket.connect();
  }

  private handle(frame: Frame): void {
    if (frame.s > 0) this.seq = frame.s;
    switch (frame.t) {
      case 'READY': {
        const ready = frame.d as Ready;
        const resync = this.sessionId !== null || this.invalidated;
        this.sessionId = ready.session_id;
        this.invalidated = false;
        this.onDispatch({ t: 'READY', d: ready });
        this.onConnection('online');
        if (resync) this.onResync();
        return;
      }
      case 'RESUMED':
        this.onConnection('online');
        return;
      case 'INVALID_SESSION':
        // A fresh READY follows on the same connection.
        this.sessionId = null;
        this.seq = 0;
        this.invalidated = true;
        return;
      default:
        // Names the client does not handle fall through the app's switch untouched.
        this.onDispatch(frame as Dispatch);
    }
  }

  /** Sends a client command (e.g. typing_start) and resolves with its ack. */
  command(name: string, payload: unknown): Promise<unknown> {
    return this.socket.timeout(10_000).emitWithAck(name, payload);
  }

  close(): void {
    window.removeEventListener('offline', this.offline);
    window.removeEventListener('online', this.online);
    this.socket.disconnect();
  }
}
