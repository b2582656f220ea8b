// Voice in the browser: the gateway's voice_state_update answers with VOICE_SERVER_UPDATE, the
// SDK's VoiceConnection carries the /voice signaling, mediasoup-client the WebRTC side.
import { Device } from 'mediasoup-client';
import type { types as ms } from 'mediasoup-client';
import type { VoiceServerUpdate } from '../../../client/src/gateway.ts';
import { VoiceConnection, type TransportInfo } from '../../../client/src/voice.ts';

/** A producer someone else started, as `new_producer` announces it. */
interface Announcement {
  producer_id: string;
  user_id: string;
  kind: 'audio' | 'video';
}

/** Mediasoup-client's transport options from the server's transport description. */
function transportOptions(t: TransportInfo): ms.TransportOptions {
  return {
    id: t.id,
    iceParameters: t.ice_parameters as ms.IceParameters,
    iceCandidates: t.ice_candidates as ms.IceCandidate[],
    dtlsParameters: t.dtls_parameters as ms.DtlsParameters,
  };
}

/**
 * One voice connection: the microphone sent, everyone else's audio received and played. `onPeers`
 * reports whose audio is being received (a consumer exists), by user id.
 */
export class VoiceSession {
  private readonly audio = new Map<string, HTMLAudioElement>();
  private readonly receiving = new Map<string, string>();
  private closed = false;

  private constructor(
    private readonly conn: VoiceConnection,
    private readonly mic: MediaStream,
    private readonly producer: ms.Producer,
    private readonly sendTransport: ms.Transport,
    private readonly recvTransport: ms.Transport,
    private readonly onReceiving: (userIds: string[]) => void,
  ) {}

  /** Connects to the voice server named by `server`, sends the microphone and receives the others. */
  static async start(
    server: VoiceServerUpdate,
    onReceiving: (userIds: string[]) => void,
  ): Promise<VoiceSession> {
    const conn = await VoiceConnection.connect(server, { transports: ['websocket'] });
    // Producers already in the room are announced right after the handshake: keep them until the
    // receiving side exists.
    const waiting: Announcement[] = [];
    let deliver: (a: Announcement) => void = (a) => waiting.push(a);
    conn.on('new_producer', (p) => deliver(p as unknown as Announcement));
    try {
      const device = new Device();
      await device.load({ routerRtpCapabilities: conn.routerRtpCapabilities as ms.RtpCapabilities });
      const [sendInfo, recvInfo] = await Promise.all([
        conn.createTransport('send'),
        conn.createTransport('recv'),
      ]);
      const sendTransport = device.createSendTransport(transportOptions(sendInfo));
      const recvTransport = device.createRecvTransport(transportOptions(recvInfo));
      for (const t of [sendTransport, recvTransport]) {
        t.on('connect', ({ dtlsParameters }, ok, fail) => {
          conn.connectTransport(t.id, dtlsParameters).then(() => ok(), fail);
        });
      }
      sendTransport.on('produce', ({ kind, rtpParameters }, ok, fail) => {
        conn
          .produce({ transport_id: sendTransport.id, kind, rtp_parameters: rtpParameters, source: 'mic' })
          .then(({ id }) => ok({ id }), fail);
      });
      const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
      const track = mic.getAudioTracks()[0];
      if (!track) throw new Error('No microphone');
      const producer = await sendTransport.produce({ track });
      const session = new VoiceSession(conn, mic, producer, sendTransport, recvTransport, onReceiving);
      deliver = (a) => void session.consume(device, a);
      for (const a of waiting.splice(0)) deliver(a);
      conn.on('producer_closed', (p) => session.dropProducer(String(p.producer_id)));
      return session;
    } catch (err) {
      conn.socket.close();
      throw err;
    }
  }

  private async consume(device: Device, a: Announcement): Promise<void> {
    if (a.kind !== 'audio' || this.closed) return;
    const info = await this.conn.consume(this.recvTransport.id, a.producer_id, device.rtpCapabilities);
    const consumer = await this.recvTransport.consume({
      id: info.id,
      producerId: info.producer_id,
      kind: info.kind,
      rtpParameters: info.rtp_parameters as ms.RtpParameters,
    });
    const el = new Audio();
    el.srcObject = new MediaStream([consumer.track]);
    el.autoplay = true;
    // Autoplay may be refused until the page has been interacted with; the join click counts.
    void el.play().catch(() => undefined);
    this.audio.set(a.producer_id, el);
    this.receiving.set(a.producer_id, a.user_id);
    await this.conn.resumeConsumer(info.id);
    this.report();
  }

  private dropProducer(producerId: string): void {
    this.audio.get(producerId)?.pause();
    this.audio.delete(producerId);
    this.receiving.delete(producerId);
    this.report();
  }

  private report(): void {
    this.onReceiving([...new Set(this.receiving.values())]);
  }

  /** Stops (or restarts) sending the microphone. */
  async setMuted(muted: boolean): Promise<void> {
    if (muted) this.producer.pause();
    else this.producer.resume();
    await this.conn.setProducerPaused(this.producer.id, muted);
  }

  /** Ends the connection and releases the microphone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const el of this.audio.values()) el.pause();
    this.audio.clear();
    this.producer.close();
    this.sendTransport.close();
    this.recvTransport.close();
    for (const t of this.mic.getTracks()) t.stop();
    this.conn.socket.close();
  }
}
