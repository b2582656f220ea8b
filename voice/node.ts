import crypto from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';
import { rooms } from '../shared/events/index.js';
import { guardedListener } from '../shared/net/guarded-listener.js';
import { HandshakeLimits, Refusal, refusal } from '../shared/net/handshake-limits.js';
import { createRedis, waitForRedis } from '../shared/redis.js';
import type { Runtime } from '../shared/runtime.js';
import { voiceControlChannel, type VoiceControl } from '../shared/voice-chat/control.js';
import { VoiceNodeRegistry } from '../shared/voice-chat/nodes.js';
import { VoiceStateStore, presentVoiceState, type VoiceStateRecord } from '../shared/voice-chat/states.js';
import { mintVoiceToken, redeemVoiceToken } from '../shared/voice-chat/tokens.js';
import { MEDIA_CODECS, type MediasoupModule, type ms } from './mediasoup.js';
import { Peer, Room, producerAnnouncement, type ProducerData, type VoiceSocket } from './room.js';
import { installSignaling } from './signaling.js';
import { WorkerPool } from './workers.js';

/** Default worker count: one per core, at most this many (each is a process with its own core). */
const MAX_DEFAULT_WORKERS = 4;

/** What a /voice handshake established, for its connection handler. */
interface Admission {
  room: Room;
  state: VoiceStateRecord;
  /** Until the connection opens (or the handshake is given up). */
  pending: boolean;
}

/**
 * Who is speaking: microphones louder than -50 dBov on average over 500 ms (clients send the level
 * in the ssrc-audio-level RTP header extension, as browsers do).
 */
const SPEAKING = { maxEntries: 32, threshold: -50, interval: 500 };

/** How long an admitted handshake holds its room open waiting for its connection. */
const ADMISSION_TIMEOUT_MS = 10_000;

/**
 * One voice process: mediasoup workers, a room (router) per channel it hosts, the /voice
 * signaling namespace, its entry in Redis (heartbeat) and the control commands it obeys.
 */
export class VoiceNode {
  readonly id = crypto.randomBytes(8).toString('hex');
  readonly rooms = new Map<string, Room>();
  private readonly creating = new Map<string, Promise<Room>>();
  private readonly admissions = new WeakMap<object, Admission>();
  private readonly store: VoiceStateStore;
  private readonly registry: VoiceNodeRegistry;
  private readonly pool: WorkerPool;
  private rtpCapabilities: ms.RtpCapabilities | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private subscriber: Redis | null = null;
  private readonly startedAt = Date.now();
  private closing = false;
  /** Per address and per user, counted apart from the gateway's (gateway.handshake_rate_limit, max_connections_per_user). */
  private readonly limits: HandshakeLimits;

  constructor(
    readonly rt: Runtime,
    mediasoup: MediasoupModule,
    readonly endpoint: string,
    private readonly nsp: Namespace,
  ) {
    this.store = new VoiceStateStore(rt);
    this.registry = new VoiceNodeRegistry(rt);
    this.limits = new HandshakeLimits(rt, 'voice');
    const v = rt.config.voice;
    const count = v.workers ?? Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_WORKERS));
    this.pool = new WorkerPool(
      mediasoup,
      { logLevel: 'warn', rtcMinPort: v.rtc_min_port, rtcMaxPort: v.rtc_max_port },
      count,
      rt.logger,
      (worker) => this.workerDied(worker),
    );
  }

  /** Starts workers, learns the routers' capabilities, then takes connections and joins. */
  async start(): Promise<void> {
    await this.pool.start();
    const probe = await this.pool.next().createRouter({ mediaCodecs: MEDIA_CODECS });
    this.rtpCapabilities = probe.rtpCapabilities;
    probe.close();

    this.subscriber = createRedis(this.rt.config, 'subscriber', this.rt.logger);
    await waitForRedis(this.subscriber);
    this.subscriber.on('message', (_channel: string, message: string) => this.onControl(message));
    await this.subscriber.subscribe(voiceControlChannel(this.rt.config));

    // Signaling is on /voice only: the default namespace every socket.io server has would otherwise
    // hold any connection open without a token, and without the handshake limits.
    this.nsp.server
      .of('/')
      .use((socket, next) =>
        this.limits.refuse(
          socket,
          next,
          refusal('invalid_namespace', 'Voice signaling is on the /voice namespace'),
        ),
      );
    this.nsp.use((socket, next) => {
      this.admit(socket as VoiceSocket).then(
        () => next(),
        (err: Error) => {
          if (!(err instanceof Refusal)) this.rt.logger.error({ err }, 'voice handshake failed');
          this.limits.refuse(
            socket,
            next,
            err instanceof Refusal ? err : refusal('internal_error', 'Try again'),
          );
        },
      );
    });
    this.nsp.on(
      'connection',
      guardedListener(
        this.rt.logger,
        'a voice connection',
        (socket) => this.connected(socket as VoiceSocket),
        (socket) => socket.disconnect(true),
      ),
    );

    await this.announce();
    const every = this.rt.config.voice.node_heartbeat_seconds * 1000;
    this.heartbeat = setInterval(() => {
      this.announce().catch((err: Error) =>
        this.rt.logger.warn({ err: err.message }, 'voice heartbeat failed'),
      );
      this.audit();
    }, every);
    this.heartbeat.unref();
  }

  /** This node's entry in Redis, valid for three heartbeats. */
  private announce(): Promise<void> {
    return this.registry.announce(
      {
        id: this.id,
        endpoint: this.endpoint,
        path: this.rt.config.voice.path,
        rtp_capabilities: this.rtpCapabilities,
        rooms: this.rooms.size,
        started_at: this.startedAt,
      },
      Math.round(this.rt.config.voice.node_heartbeat_seconds * 3000),
    );
  }

  /** The live workers' process ids. */
  workerPids(): number[] {
    return this.pool.pids();
  }

  // ---- handshake and connections ----

  /**
   * A /voice handshake: it counts against its address's budget (gateway.handshake_rate_limit,
   * counted apart from the gateway's) before its token is looked at; the token (single use) must be
   * for this node, its user still in the channel, and the channel still hosted here; and the user
   * must hold fewer than gateway.max_connections_per_user voice connections on this process. The
   * room is made ready before the connection opens, so the client's first command finds its
   * handlers installed.
   */
  private async admit(socket: VoiceSocket): Promise<void> {
    const overBudget = await this.limits.countAddress(this.limits.addressOf(socket));
    if (overBudget) throw overBudget;
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const grant = typeof token === 'string' ? await redeemVoiceToken(this.rt, token) : null;
    if (!grant) throw refusal('invalid_token', 'Unknown, expired or used voice token');
    if (grant.node_id !== this.id) throw refusal('wrong_node', 'This token is for another voice server');
    const state = await this.store.get(grant.user_id);
    // A later join (another channel, or the same from another session) supersedes the token.
    if (!state || state.channel_id !== grant.channel_id || state.session_id !== grant.session_id) {
      throw refusal('not_in_channel', 'Not in that voice channel any more: join again');
    }
    if ((await this.registry.claim(grant.channel_id, this.id)) !== this.id) {
      throw refusal('channel_moved', 'The channel moved to another voice server: join again');
    }
    // Before the room is made (a refused handshake must not leave one behind).
    const free = this.limits.takeSlot(grant.user_id, socket);
    if (free instanceof Error) throw free;
    let room: Room;
    try {
      room = await this.room(grant.channel_id, grant.server_id);
    } catch (err) {
      free();
      throw err;
    }
    room.joining += 1;
    socket.data = { userId: grant.user_id, serverId: grant.server_id, channelId: grant.channel_id };
    const admission: Admission = { room, state, pending: true };
    this.admissions.set(socket, admission);
    // socket.io drops a handshake whose client left meanwhile without a connection event: let go then.
    setTimeout(() => {
      if (!admission.pending) return;
      admission.pending = false;
      room.joining -= 1;
      this.maybeCloseRoom(room);
    }, ADMISSION_TIMEOUT_MS).unref();
  }

  private connected(socket: VoiceSocket): void {
    const admission = this.admissions.get(socket);
    if (!admission?.pending) {
      socket.disconnect(true);
      return;
    }
    admission.pending = false;
    const { room, state } = admission;
    room.joining -= 1;
    const live = this.rooms.get(room.channelId) === room;
    if (!live || !socket.connected) {
      if (live) this.maybeCloseRoom(room);
      socket.emit('voice_disconnect', { reason: 'retry' });
      socket.disconnect(true);
      return;
    }
    const peer = new Peer(socket.data.userId, socket, state);
    const previous = room.peers.get(peer.userId);
    room.peers.set(peer.userId, peer);
    if (previous) this.kick(room, previous, 'replaced');
    installSignaling(this, room, peer);
    socket.on(
      'disconnect',
      guardedListener(this.rt.logger, 'closing a voice connection', () => this.dropPeer(room, peer)),
    );
    for (const producer of room.producersExcept(peer.userId)) {
      socket.emit('new_producer', producerAnnouncement(producer));
    }
    // The state may have changed between the handshake and now.
    this.sync(room.channelId, peer.userId).catch((err: Error) =>
      this.rt.logger.warn({ err: err.message }, 'voice sync failed'),
    );
  }

  /** The room of a channel, made on the next worker on first use. */
  private room(channelId: string, serverId: string): Promise<Room> {
    const existing = this.rooms.get(channelId);
    if (existing) return Promise.resolve(existing);
    let pending = this.creating.get(channelId);
    if (!pending) {
      pending = (async () => {
        const worker = this.pool.next();
        const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
        const levels = await router.createAudioLevelObserver(SPEAKING);
        const room = new Room(channelId, serverId, router, worker, levels);
        levels.on('volumes', (volumes: ms.AudioLevelObserverVolume[]) =>
          this.heard(
            room,
            volumes.map((v) => (v.producer.appData as ProducerData).userId),
          ),
        );
        levels.on('silence', () => this.heard(room, []));
        this.rooms.set(channelId, room);
        return room;
      })().finally(() => this.creating.delete(channelId));
      this.creating.set(channelId, pending);
    }
    return pending;
  }

  /** A WebRtcTransport on the configured listen / announced IP. */
  createTransport(room: Room, direction: 'send' | 'recv'): Promise<ms.WebRtcTransport> {
    const v = this.rt.config.voice;
    return room.router.createWebRtcTransport({
      listenIps: [{ ip: v.listen_ip, ...(v.announced_ip ? { announcedIp: v.announced_ip } : {}) }],
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      appData: { direction },
    });
  }

  // ---- producers and consumers ----

  /** Tells everyone else in the room about a new producer (`new_producer`); microphones are listened to. */
  announceProducer(room: Room, producer: ms.Producer): void {
    if ((producer.appData as ProducerData).source === 'mic') {
      room.levels.addProducer({ producerId: producer.id }).catch(() => undefined);
    }
    const payload = producerAnnouncement(producer);
    for (const peer of room.peers.values()) {
      if (peer.userId !== payload.user_id) peer.socket.emit('new_producer', payload);
    }
  }

  /** Tells everyone else that a producer is gone (their consumers of it close by themselves). */
  producerClosed(room: Room, producer: ms.Producer): void {
    const userId = (producer.appData as ProducerData).userId;
    for (const peer of room.peers.values()) {
      if (peer.userId !== userId) {
        peer.socket.emit('producer_closed', { producer_id: producer.id, user_id: userId });
      }
    }
  }

  /** Keeps a new consumer in its peer and relays what happens to its producer. */
  trackConsumer(peer: Peer, consumer: ms.Consumer): void {
    peer.consumers.set(consumer.id, consumer);
    peer.clientPaused.add(consumer.id);
    const emit = (event: 'consumer_closed' | 'consumer_paused' | 'consumer_resumed'): void => {
      const reason = event === 'consumer_paused' ? { reason: 'producer_paused' as const } : {};
      peer.socket.emit(event, { consumer_id: consumer.id, producer_id: consumer.producerId, ...reason });
    };
    consumer.on('transportclose', () => peer.consumers.delete(consumer.id));
    consumer.on('producerclose', () => {
      peer.consumers.delete(consumer.id);
      peer.clientPaused.delete(consumer.id);
      emit('consumer_closed');
    });
    consumer.on('producerpause', () => emit('consumer_paused'));
    consumer.on('producerresume', () => emit('consumer_resumed'));
  }

  private async enforceNow(peer: Peer): Promise<void> {
    for (const producer of [...peer.producers.values()]) {
      if (producer.closed) continue;
      const byClient = peer.clientPaused.has(producer.id);
      const want = peer.mayProduce(producer.kind) && !byClient;
      if (want === !producer.paused) continue;
      if (want) await producer.resume();
      else await producer.pause();
      const reason = byClient ? 'client' : peer.state.suppress ? 'suppressed' : 'server_mute';
      if (want) peer.socket.emit('producer_resumed', { producer_id: producer.id });
      else peer.socket.emit('producer_paused', { producer_id: producer.id, reason });
    }
    for (const consumer of [...peer.consumers.values()]) {
      if (consumer.closed) continue;
      const byClient = peer.clientPaused.has(consumer.id);
      const want = peer.mayReceive(consumer.kind) && !byClient;
      if (want === !consumer.paused) continue;
      if (want) await consumer.resume();
      else await consumer.pause();
      const ids = { consumer_id: consumer.id, producer_id: consumer.producerId };
      // The client knows what it paused itself; what the server does, it is told.
      if (want) peer.socket.emit('consumer_resumed', ids);
      else if (!byClient) peer.socket.emit('consumer_paused', { ...ids, reason: 'server_deaf' });
    }
  }

  /** Records in the voice state whether the peer sends camera video or a screen (self_video, self_stream). */
  async refreshMediaFlags(room: Room, peer: Peer): Promise<void> {
    const sources = [...peer.producers.values()].map((p) => (p.appData as ProducerData).source);
    const patch = { self_video: sources.includes('camera'), self_stream: sources.includes('screen') };
    if (peer.state.self_video === patch.self_video && peer.state.self_stream === patch.self_stream) return;
    const updated = await this.store.update(peer.userId, room.channelId, patch);
    if (!updated) return;
    peer.state = updated.state;
    if (updated.changed) {
      await this.rt.events.dispatch(
        [rooms.channel(room.channelId), rooms.user(peer.userId)],
        'VOICE_STATE_UPDATE',
        presentVoiceState(updated.state),
      );
    }
  }

  /** Records who started or stopped speaking in their voice state (VOICE_STATE_UPDATE `speaking`). */
  private heard(room: Room, userIds: string[]): void {
    const now = new Set(userIds);
    const changed = [
      ...[...now].filter((id) => !room.speaking.has(id)),
      ...[...room.speaking].filter((id) => !now.has(id)),
    ];
    for (const userId of changed) {
      if (now.has(userId)) room.speaking.add(userId);
      else room.speaking.delete(userId);
      this.setSpeaking(room, userId, now.has(userId)).catch((err: Error) =>
        this.rt.logger.warn({ err: err.message }, 'could not record speaking'),
      );
    }
  }

  private async setSpeaking(room: Room, userId: string, speaking: boolean): Promise<void> {
    const updated = await this.store.update(userId, room.channelId, { speaking });
    if (!updated?.changed) return;
    const peer = room.peers.get(userId);
    if (peer) peer.state = updated.state;
    await this.rt.events.dispatch(
      [rooms.channel(room.channelId), rooms.user(userId)],
      'VOICE_STATE_UPDATE',
      presentVoiceState(updated.state),
    );
  }

  // ---- control ----

  private onControl(message: string): void {
    let command: VoiceControl;
    try {
      command = JSON.parse(message) as VoiceControl;
    } catch {
      return;
    }
    if (command.type === 'sync') {
      this.sync(command.channel_id, command.user_id).catch((err: Error) =>
        this.rt.logger.warn({ err: err.message }, 'voice sync failed'),
      );
    }
  }

  /**
   * Re-reads a connected user's voice state and enforces it: gone or elsewhere disconnects them
   * from this room; mute, deafen and stage suppression pause what they may no longer send or hear.
   */
  async sync(channelId: string, userId: string): Promise<void> {
    const room = this.rooms.get(channelId);
    const peer = room?.peers.get(userId);
    if (!room || !peer) return;
    await peer.serial(async () => {
      const state = await this.store.get(userId);
      if (!state || state.channel_id !== channelId) {
        this.kick(room, peer, state ? 'moved' : 'left');
        return;
      }
      peer.state = state;
      await this.enforceNow(peer);
    });
  }

  /**
   * Every heartbeat re-checks each connected user: pub/sub delivers at most once, so a lost
   * command is corrected within a heartbeat.
   */
  private audit(): void {
    for (const room of this.rooms.values()) {
      for (const peer of room.peers.values())
        void this.sync(room.channelId, peer.userId).catch(() => undefined);
    }
  }

  /** Ends a peer's connection with `voice_disconnect {reason}`. */
  private kick(room: Room, peer: Peer, reason: string): void {
    peer.socket.emit('voice_disconnect', { reason });
    this.dropPeer(room, peer);
    peer.socket.disconnect(true);
  }

  /** Closes a peer's transports; the last one out closes the room. */
  private dropPeer(room: Room, peer: Peer): void {
    if (peer.closed) return;
    if (room.peers.get(peer.userId) === peer) room.peers.delete(peer.userId);
    const producers = [...peer.producers.values()];
    peer.close();
    if (room.speaking.delete(peer.userId) && !room.peers.has(peer.userId)) {
      void this.setSpeaking(room, peer.userId, false).catch(() => undefined);
    }
    for (const producer of producers) this.producerClosed(room, producer);
    if (producers.some((p) => (p.appData as ProducerData).source !== 'mic') && !room.peers.has(peer.userId)) {
      void this.refreshMediaFlags(room, peer).catch(() => undefined);
    }
    this.maybeCloseRoom(room);
  }

  private maybeCloseRoom(room: Room): void {
    if (room.peers.size > 0 || room.joining > 0 || this.rooms.get(room.channelId) !== room) return;
    this.rooms.delete(room.channelId);
    room.router.close();
    // The channel stays mapped here while anyone is still in it (they will connect here).
    this.store
      .count(room.channelId)
      .then((n) => (n === 0 ? this.registry.release(room.channelId, this.id) : undefined))
      .catch(() => undefined);
  }

  // ---- worker failure ----

  /**
   * A worker died and took its routers with it: every room on it is dropped and its users are
   * told to reconnect (`voice_reconnect`), with a fresh VOICE_SERVER_UPDATE through the gateway.
   * Their next connection builds the room again on a live worker.
   */
  private workerDied(worker: ms.Worker): void {
    for (const room of [...this.rooms.values()]) {
      if (room.worker !== worker) continue;
      this.rooms.delete(room.channelId);
      for (const peer of [...room.peers.values()]) {
        peer.socket.emit('voice_reconnect', { reason: 'media_server_restarted' });
        peer.close();
        peer.socket.disconnect(true);
        this.reissue(peer.state).catch((err: Error) =>
          this.rt.logger.warn({ err: err.message }, 'could not send a new VOICE_SERVER_UPDATE'),
        );
      }
      room.peers.clear();
    }
  }

  /** A fresh token for a user still in a channel hosted here, sent to their session. */
  private async reissue(previous: VoiceStateRecord): Promise<void> {
    const state = await this.store.get(previous.user_id);
    if (!state || state.channel_id !== previous.channel_id) return;
    const token = await mintVoiceToken(this.rt, {
      user_id: state.user_id,
      server_id: state.server_id,
      channel_id: state.channel_id,
      node_id: this.id,
      session_id: state.session_id,
    });
    await this.rt.events.dispatch([rooms.session(state.auth_session_id)], 'VOICE_SERVER_UPDATE', {
      server_id: state.server_id,
      channel_id: state.channel_id,
      endpoint: this.endpoint,
      path: this.rt.config.voice.path,
      token,
      expires_in: this.rt.config.voice.token_ttl_seconds,
      router_rtp_capabilities: this.rtpCapabilities,
    });
  }

  /** Leaves Redis, disconnects everyone and stops the workers. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.registry.withdraw(this.id).catch(() => undefined);
    for (const room of [...this.rooms.values()]) {
      for (const peer of [...room.peers.values()]) this.kick(room, peer, 'server_shutdown');
    }
    this.rooms.clear();
    this.subscriber?.disconnect();
    await this.pool.close();
  }
}
