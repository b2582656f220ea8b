import type { Socket } from 'socket.io';
import type { VoiceStateRecord } from '../shared/voice-chat/states.js';
import type { ms } from './mediasoup.js';

/** What a producer is: a microphone, a camera or a shared screen (its `app_data.source`). */
export type MediaSource = 'mic' | 'camera' | 'screen';

/** What we keep on a producer. */
export interface ProducerData {
  userId: string;
  source: MediaSource;
  /** Sent by a member with PRIORITY_SPEAKER: clients lower everyone else while it speaks. */
  priority: boolean;
}

/** Per-connection data of a /voice socket, set by its handshake. */
export interface VoiceConnectionData {
  userId: string;
  serverId: string;
  channelId: string;
}

/** A consumer's producer changed (consumer_closed / consumer_paused / consumer_resumed). */
export interface ConsumerEvent {
  consumer_id: string;
  producer_id: string;
  /** Why it paused: `producer_paused` (its sender paused or was muted) or `server_deaf` (you were deafened). */
  reason?: 'producer_paused' | 'server_deaf';
}

/** Events the voice server sends on /voice. */
export interface VoiceServerEvents {
  /** Another participant produces: consume it. Also sent for every existing producer on connecting. */
  new_producer: (p: ReturnType<typeof producerAnnouncement>) => void;
  producer_closed: (p: { producer_id: string; user_id: string }) => void;
  consumer_closed: (p: ConsumerEvent) => void;
  consumer_paused: (p: ConsumerEvent) => void;
  consumer_resumed: (p: ConsumerEvent) => void;
  /** One of your producers was paused: by you (`client`), `server_mute` or `suppressed` (stage audience). */
  producer_paused: (p: { producer_id: string; reason: string }) => void;
  producer_resumed: (p: { producer_id: string }) => void;
  /** You are disconnected from this channel (left, moved, replaced by a newer connection...). */
  voice_disconnect: (p: { reason: string }) => void;
  /** The media server restarted: connect again with the token of the VOICE_SERVER_UPDATE that follows. */
  voice_reconnect: (p: { reason: string }) => void;
}

export type VoiceSocket = Socket<
  Record<string, never>,
  VoiceServerEvents,
  Record<string, never>,
  VoiceConnectionData
>;

/** One user connected to a room: their transports and what they send and receive. */
export class Peer {
  readonly transports = new Map<string, ms.WebRtcTransport>();
  readonly producers = new Map<string, ms.Producer>();
  readonly consumers = new Map<string, ms.Consumer>();
  /** Producers and consumers the client paused (consumers start so until resume_consumer). */
  readonly clientPaused = new Set<string>();
  /** Enforcement runs one at a time per peer, in the order changes arrive. */
  private queue: Promise<void> = Promise.resolve();
  closed = false;

  constructor(
    readonly userId: string,
    readonly socket: VoiceSocket,
    public state: VoiceStateRecord,
  ) {}

  /** Runs `task` after every earlier one of this peer. */
  serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Whether a producer of this kind may be heard / seen now (server mute, stage audience). */
  mayProduce(kind: ms.MediaKind): boolean {
    if (this.state.suppress) return false;
    return kind !== 'audio' || !this.state.mute;
  }

  /** Whether this peer may receive media of this kind now (server deafen stops audio). */
  mayReceive(kind: ms.MediaKind): boolean {
    return kind !== 'audio' || !this.state.deaf;
  }

  /** Closes everything of this peer (closing a transport closes its producers and consumers). */
  close(): void {
    this.closed = true;
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }
}

/** A voice or stage channel hosted here: its router on one worker, and who is connected. */
export class Room {
  readonly peers = new Map<string, Peer>();
  /** Handshakes admitted but not yet connected: the room stays open for them. */
  joining = 0;
  /** Who the audio level observer last heard above the threshold. */
  readonly speaking = new Set<string>();

  constructor(
    readonly channelId: string,
    readonly serverId: string,
    readonly router: ms.Router,
    readonly worker: ms.Worker,
    /** Watches the microphones' audio levels (the ssrc-audio-level RTP header extension). */
    readonly levels: ms.AudioLevelObserver,
  ) {}

  /** Every producer in the room except those of `userId`. */
  producersExcept(userId: string): ms.Producer[] {
    return [...this.peers.values()]
      .filter((p) => p.userId !== userId)
      .flatMap((p) => [...p.producers.values()]);
  }

  /** The producer with this id, whoever sends it. */
  producer(producerId: string): ms.Producer | undefined {
    for (const peer of this.peers.values()) {
      const found = peer.producers.get(producerId);
      if (found) return found;
    }
    return undefined;
  }
}

/** The payload of `new_producer`: what a client needs to `consume` it. */
export function producerAnnouncement(producer: ms.Producer) {
  const data = producer.appData as ProducerData;
  return {
    producer_id: producer.id,
    user_id: data.userId,
    kind: producer.kind,
    source: data.source,
    priority: data.priority,
    paused: producer.paused,
  };
}
