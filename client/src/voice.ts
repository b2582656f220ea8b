import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { CommandAck, VoiceServerUpdate } from './gateway.js';

/** A WebRTC transport on the voice server, as mediasoup-client's `device.createSendTransport` wants it. */
export interface TransportInfo {
  id: string;
  direction: 'send' | 'recv';
  ice_parameters: unknown;
  ice_candidates: unknown[];
  dtls_parameters: unknown;
}

/** A consumer of someone's producer (mediasoup-client's `transport.consume`). */
export interface ConsumerInfo {
  id: string;
  producer_id: string;
  kind: 'audio' | 'video';
  rtp_parameters: unknown;
  [key: string]: unknown;
}

/** Signaling commands on the `/voice` namespace: what each takes and answers. */
export interface VoiceCommandMap {
  create_transport: { payload: { direction: 'send' | 'recv' }; result: TransportInfo };
  connect_transport: { payload: { transport_id: string; dtls_parameters: unknown }; result: object };
  produce: {
    payload: {
      transport_id: string;
      kind: 'audio' | 'video';
      rtp_parameters: unknown;
      source?: 'mic' | 'camera' | 'screen';
    };
    result: { id: string; paused: boolean };
  };
  consume: {
    payload: { transport_id: string; producer_id: string; rtp_capabilities: unknown };
    result: ConsumerInfo;
  };
  resume_consumer: { payload: { consumer_id: string }; result: { paused: boolean } };
  pause_consumer: { payload: { consumer_id: string }; result: { paused: boolean } };
  pause_producer: { payload: { producer_id: string }; result: { paused: boolean } };
  resume_producer: { payload: { producer_id: string }; result: { paused: boolean } };
  close_producer: { payload: { producer_id: string }; result: object };
  /** Stage commands, as on the gateway; `channel_id` defaults to this connection's stage. */
  request_to_speak: { payload: { channel_id?: string; raise?: boolean }; result: Record<string, unknown> };
  invite_speaker: { payload: { channel_id?: string; user_id: string }; result: Record<string, unknown> };
  move_to_audience: { payload: { channel_id?: string; user_id: string }; result: Record<string, unknown> };
}

/** A refused signaling command, with the API's error code. */
export class VoiceCommandError extends Error {
  override readonly name = 'VoiceCommandError';
  constructor(
    readonly command: string,
    readonly code: string,
    message: string,
    readonly errors: Record<string, string> = {},
  ) {
    super(`${command}: ${code}: ${message}`);
  }
}

/**
 * The signaling side of a voice connection (`/voice`): connect with a VOICE_SERVER_UPDATE from
 * `gateway.joinVoice(channelId)`, then create and connect transports, produce and consume with any
 * WebRTC stack (mediasoup-client in the browser). Server events (`new_producer`, `producer_closed`,
 * `voice_disconnect`, ...) arrive through `on`.
 */
export class VoiceConnection {
  private constructor(
    readonly socket: Socket,
    /** The router's RTP capabilities: load them into mediasoup-client's Device. */
    readonly routerRtpCapabilities: unknown,
  ) {}

  /** Connects with the token of a VOICE_SERVER_UPDATE; rejects with the handshake's error. */
  static async connect(
    server: VoiceServerUpdate,
    socketOptions: Partial<ManagerOptions & SocketOptions> = {},
  ): Promise<VoiceConnection> {
    const socket = io(`${server.endpoint.replace(/\/+$/, '')}/voice`, {
      path: server.path,
      transports: ['websocket', 'polling'],
      // The token is single use: a new one comes with the next join, so never retry with this one.
      reconnection: false,
      forceNew: true,
      ...socketOptions,
      auth: { token: server.token },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
    return new VoiceConnection(socket, server.router_rtp_capabilities);
  }

  /** Sends a signaling command and resolves with its result; throws VoiceCommandError when refused. */
  async request<K extends keyof VoiceCommandMap>(
    name: K,
    payload: VoiceCommandMap[K]['payload'],
    timeoutMs = 10000,
  ): Promise<VoiceCommandMap[K]['result']> {
    const ack = (await this.socket.timeout(timeoutMs).emitWithAck(name, payload)) as CommandAck<
      VoiceCommandMap[K]['result']
    >;
    if (!ack.ok) throw new VoiceCommandError(name, ack.code, ack.message, ack.errors);
    const { ok: _ok, ...result } = ack;
    return result;
  }

  /** A send or receive WebRTC transport. */
  createTransport(direction: 'send' | 'recv'): Promise<TransportInfo> {
    return this.request('create_transport', { direction });
  }

  /** Completes a transport's DTLS handshake (mediasoup-client's transport `connect` event). */
  connectTransport(transportId: string, dtlsParameters: unknown): Promise<object> {
    return this.request('connect_transport', { transport_id: transportId, dtls_parameters: dtlsParameters });
  }

  /** Starts sending a track (mediasoup-client's transport `produce` event); resolves with the producer id. */
  async produce(payload: VoiceCommandMap['produce']['payload']): Promise<{ id: string; paused: boolean }> {
    return this.request('produce', payload);
  }

  /** Receives someone's producer; resume the consumer once the local side is ready. */
  consume(transportId: string, producerId: string, rtpCapabilities: unknown): Promise<ConsumerInfo> {
    return this.request('consume', {
      transport_id: transportId,
      producer_id: producerId,
      rtp_capabilities: rtpCapabilities,
    });
  }

  /** Starts a consumer's media (consumers start paused until the receiving side is ready). */
  resumeConsumer(consumerId: string): Promise<{ paused: boolean }> {
    return this.request('resume_consumer', { consumer_id: consumerId });
  }

  /** Pauses (mutes) or resumes one of your producers. */
  setProducerPaused(producerId: string, paused: boolean): Promise<{ paused: boolean }> {
    return this.request(paused ? 'pause_producer' : 'resume_producer', { producer_id: producerId });
  }

  /** Stops sending a track. */
  closeProducer(producerId: string): Promise<object> {
    return this.request('close_producer', { producer_id: producerId });
  }

  /** Listens to a server event (`new_producer`, `producer_closed`, `voice_disconnect`...). */
  on(event: string, listener: (payload: Record<string, unknown>) => void): () => void {
    this.socket.on(event, listener);
    return () => this.socket.off(event, listener);
  }

  /** Leaves the voice server (leave the channel with `gateway.joinVoice(null)`). */
  close(): void {
    this.socket.disconnect();
  }
}
