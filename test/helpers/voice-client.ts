import crypto from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';

/** What VOICE_SERVER_UPDATE carries (the parts a client uses to connect). */
export interface VoiceServerInfo {
  endpoint: string;
  path: string;
  token: string;
}

/** A /voice command's ack. */
export type VoiceAck = { ok: boolean; code?: string; message?: string; [key: string]: unknown };

interface TransportInfo {
  id: string;
  ice_parameters: { usernameFragment: string; password: string };
  ice_candidates: {
    foundation: string;
    priority: number;
    ip: string;
    protocol: string;
    port: number;
    tcpType?: string;
  }[];
  dtls_parameters: { fingerprints: { algorithm: string; value: string }[] };
}

/** What this client can receive: Opus and VP8, no header extensions (enough for werift). */
export const CLIENT_CAPABILITIES = {
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101 },
  ],
  headerExtensions: [],
};

type Kind = 'audio' | 'video';

/** The audio level header extension (RFC 6464) the voice server reads to tell who speaks. */
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
const AUDIO_LEVEL_ID = 10;

/** How each kind is written in SDP and in mediasoup's RTP parameters. */
const CODECS = {
  audio: {
    rtpmap: 'opus/48000/2',
    sdp: /a=rtpmap:(\d+) (?:opus|OPUS)\/48000\/2/,
    mimeType: 'audio/opus',
    clockRate: 48000,
  },
  video: { rtpmap: 'VP8/90000', sdp: /a=rtpmap:(\d+) VP8\/90000/, mimeType: 'video/VP8', clockRate: 90000 },
} as const;

/**
 * A payload the SFU forwards: Opus is opaque to it (a TOC byte and a few bytes); mediasoup parses
 * VP8's payload descriptor and a new consumer waits for a key frame, so every packet is one.
 */
function payloadOf(kind: Kind, i: number): Buffer {
  if (kind === 'audio') return Buffer.from([0xfc, 0xff, 0xfe, i % 256]);
  // Descriptor: X and S set, partition 0; I set, a 7-bit picture id. Then a key frame's tag and start code.
  return Buffer.from([0x90, 0x80, i % 128, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]);
}

/** A werift peer that sends RTP (Opus or VP8) to a mediasoup producer. */
export interface MediaSender {
  producerId: string;
  paused: boolean;
  pc: RTCPeerConnection;
  /**
   * Writes `count` RTP packets, one every `everyMs` (20 ms: real time). Audio carries an audio
   * level (ssrc-audio-level, -dBov: 0 loudest, 127 silence; default 127).
   */
  send(count: number, everyMs?: number, level?: number): Promise<void>;
}

/** A werift peer that receives a mediasoup consumer and counts its RTP packets. */
export interface MediaReceiver {
  consumerId: string;
  pc: RTCPeerConnection;
  packets(): number;
  /** Whether the server still had the consumer paused when it answered resume_consumer. */
  pausedAtResume: boolean;
  /** Whether werift saw the consumer's track (onTrack) at all. */
  trackSeen(): boolean;
}

function candidateLines(t: TransportInfo): string[] {
  return t.ice_candidates.map(
    (c) =>
      `a=candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.ip} ${c.port} typ host` +
      (c.protocol === 'tcp' ? ` tcptype ${c.tcpType ?? 'passive'}` : ''),
  );
}

function sessionLines(t: TransportInfo, mid: string): string[] {
  const fp = t.dtls_parameters.fingerprints.find((f) => f.algorithm === 'sha-256');
  if (!fp) throw new Error('no sha-256 fingerprint');
  return [
    'v=0',
    `o=- ${crypto.randomInt(1, 1e9)} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mid}`,
    'a=msid-semantic: WMS *',
    `a=fingerprint:sha-256 ${fp.value}`,
  ];
}

function mediaIceLines(t: TransportInfo): string[] {
  return [
    'c=IN IP4 127.0.0.1',
    `a=ice-ufrag:${t.ice_parameters.usernameFragment}`,
    `a=ice-pwd:${t.ice_parameters.password}`,
    ...candidateLines(t),
    'a=end-of-candidates',
    'a=rtcp-mux',
  ];
}

function match(sdp: string, re: RegExp, what: string): string {
  const m = re.exec(sdp);
  if (!m?.[1]) throw new Error(`no ${what} in SDP:\n${sdp}`);
  return m[1];
}

function fingerprintOf(sdp: string): string {
  return match(sdp, /a=fingerprint:sha-256 ([0-9A-Fa-f:]+)/, 'fingerprint');
}

function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * Sends from `sender` in bursts of ten until `receiver` has counted `count` more packets, as a
 * client that keeps talking does; resolves with how many were sent. One fixed burst is not a test
 * of "audio flows": once under full CI load none of a 30-packet burst sent right after both
 * transports connected arrived, while later audio would have.
 */
export async function sendUntilHeard(
  sender: MediaSender,
  receiver: MediaReceiver,
  count: number,
  {
    level = 127,
    timeoutMs = 15000,
    explain,
  }: {
    level?: number;
    timeoutMs?: number;
    /** What the server side says (its transports', producers' and consumers' stats), for the failure. */
    explain?: () => Promise<unknown>;
  } = {},
): Promise<number> {
  const from = receiver.packets();
  const started = Date.now();
  let sent = 0;
  while (receiver.packets() < from + count) {
    if (Date.now() - started > timeoutMs) {
      // For the next look: CI saw nothing arrive at all twice (0 of 30, later 0 of 720 sent).
      const state = {
        producer_paused_at_produce: sender.paused,
        sender_pc: sender.pc.connectionState,
        consumer_paused_at_resume: receiver.pausedAtResume,
        receiver_pc: receiver.pc.connectionState,
        receiver_track_seen: receiver.trackSeen(),
      };
      const server = explain
        ? await explain().catch((err: Error) => `unavailable: ${err.message}`)
        : 'not asked';
      throw new Error(
        `${receiver.packets() - from} of ${count} RTP packets arrived (${sent} sent); ` +
          `${JSON.stringify(state)}; server ${JSON.stringify(server)}`,
      );
    }
    await sender.send(10, 20, level);
    sent += 10;
  }
  return sent;
}

/**
 * A werift peer on loopback only: its sockets bound to 127.0.0.1 and only its 127.0.0.1 candidate
 * paired. By default werift binds 0.0.0.0 and offers each interface's address as a host
 * candidate, so it listened beyond loopback and ran ICE over two pairs to the one server address.
 */
function newPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1',
  });
}

/** A WebRTC client of the voice server: socket.io signaling on /voice, werift for the media. */
export class VoiceTestClient {
  readonly events: { name: string; payload: Record<string, unknown> }[] = [];
  private readonly peers: RTCPeerConnection[] = [];

  private constructor(readonly socket: Socket) {
    socket.onAny((name: string, payload: Record<string, unknown>) => this.events.push({ name, payload }));
  }

  /** Connects with a VOICE_SERVER_UPDATE's token; rejects with the handshake's error (err.data.code). */
  static async connect(server: VoiceServerInfo): Promise<VoiceTestClient> {
    const socket = io(`${server.endpoint}/voice`, {
      path: server.path,
      transports: ['websocket'],
      auth: { token: server.token },
      reconnection: false,
      forceNew: true,
    });
    const client = new VoiceTestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
    return client;
  }

  /** Sends a command and resolves with its ack. */
  request(name: string, payload: unknown): Promise<VoiceAck> {
    return this.socket.timeout(10000).emitWithAck(name, payload) as Promise<VoiceAck>;
  }

  private async must(name: string, payload: unknown): Promise<VoiceAck> {
    const ack = await this.request(name, payload);
    if (!ack.ok) throw new Error(`${name} failed: ${JSON.stringify(ack)}`);
    return ack;
  }

  /** How many events arrived so far (for waitForEvent's `since`). */
  mark(): number {
    return this.events.length;
  }

  /**
   * Resolves with the first event `name` matching `predicate`, already received (from the
   * `since`-th event on) or to come.
   */
  waitForEvent(
    name: string,
    predicate: (payload: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 10000,
    since = 0,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const found = (): Record<string, unknown> | undefined =>
        this.events.slice(since).find((e) => e.name === name && predicate(e.payload))?.payload;
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`no ${name} event; got ${JSON.stringify(this.events.map((e) => e.name))}`));
      }, timeoutMs);
      const poll = setInterval(() => {
        const payload = found();
        if (payload) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(payload);
        }
      }, 10);
    });
  }

  /**
   * Produces Opus from a werift peer: werift offers, the answer is built from the send transport
   * (ice-lite, its candidates and fingerprint, DTLS server), and `produce` uses the offer's payload
   * type and SSRC. Rejects with the `produce` ack when the server refuses.
   */
  sendAudio(): Promise<MediaSender> {
    return this.send('audio');
  }

  /** Produces VP8 (a camera unless `source` says screen), as sendAudio does Opus. */
  sendVideo(source: 'camera' | 'screen' = 'camera'): Promise<MediaSender> {
    return this.send('video', source);
  }

  private async send(kind: Kind, source?: string): Promise<MediaSender> {
    const codec = CODECS[kind];
    const transport = (await this.must('create_transport', {
      direction: 'send',
    })) as unknown as TransportInfo;
    const pc = newPeer();
    this.peers.push(pc);
    const track = new MediaStreamTrack({ kind });
    pc.addTransceiver(track, { direction: 'sendonly' });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const sdp = pc.localDescription?.sdp ?? '';
    const mid = match(sdp, /a=mid:(\S+)/, 'mid');
    const payloadType = Number(match(sdp, codec.sdp, `${codec.mimeType} payload type`));
    const ssrc = Number(match(sdp, /a=ssrc:(\d+) /, 'ssrc'));
    await this.must('connect_transport', {
      transport_id: transport.id,
      dtls_parameters: {
        role: 'client',
        fingerprints: [{ algorithm: 'sha-256', value: fingerprintOf(sdp) }],
      },
    });
    const answer = [
      ...sessionLines(transport, mid),
      `m=${kind} 7 UDP/TLS/RTP/SAVPF ${payloadType}`,
      ...mediaIceLines(transport),
      'a=setup:passive',
      `a=mid:${mid}`,
      'a=recvonly',
      `a=rtpmap:${payloadType} ${codec.rtpmap}`,
      '',
    ].join('\r\n');
    const produced = await this.request('produce', {
      transport_id: transport.id,
      kind,
      ...(source ? { source } : {}),
      rtp_parameters: {
        mid,
        codecs: [
          {
            mimeType: codec.mimeType,
            payloadType,
            clockRate: codec.clockRate,
            ...(kind === 'audio' ? { channels: 2 } : {}),
          },
        ],
        encodings: [{ ssrc }],
        headerExtensions: kind === 'audio' ? [{ uri: AUDIO_LEVEL_URI, id: AUDIO_LEVEL_ID }] : [],
      },
    });
    if (!produced.ok) throw Object.assign(new Error(`produce refused: ${produced.code}`), { ack: produced });
    // The answer starts ICE and then DTLS, so only once the producer exists: werift retransmits a
    // DTLS flight nobody answers (the transport closed with the test) on a timer it never cancels,
    // not even on close, for up to 27 s, which kept jest's worker from exiting.
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await waitFor(() => pc.connectionState === 'connected', 10000, 'the send transport to connect');
    let seq = crypto.randomInt(0, 30000);
    let timestamp = crypto.randomInt(0, 1e9);
    return {
      producerId: produced.id as string,
      paused: produced.paused as boolean,
      pc,
      async send(count, everyMs = 20, level = 127) {
        for (let i = 0; i < count; i++) {
          seq = (seq + 1) % 65536;
          timestamp = (timestamp + (kind === 'audio' ? 960 : 3000)) % 2 ** 32;
          // One packet per frame: video marks each as the end of its frame.
          const header = new RtpHeader({
            payloadType,
            sequenceNumber: seq,
            timestamp,
            ssrc,
            marker: kind === 'video',
          });
          if (kind === 'audio')
            header.extensions = [{ id: AUDIO_LEVEL_ID, payload: Buffer.from([0x80 | level]) }];
          track.writeRtp(new RtpPacket(header, payloadOf(kind, i)));
          await new Promise((r) => setTimeout(r, everyMs));
        }
      },
    };
  }

  /**
   * Consumes a producer into a werift peer: the server side is the offerer (an offer built from the
   * receive transport and the consumer's RTP parameters), werift answers, and the transport is
   * connected with werift's DTLS role and fingerprint; then resume_consumer.
   */
  async receive(producerId: string): Promise<MediaReceiver> {
    const transport = (await this.must('create_transport', {
      direction: 'recv',
    })) as unknown as TransportInfo;
    const consumed = await this.request('consume', {
      transport_id: transport.id,
      producer_id: producerId,
      rtp_capabilities: CLIENT_CAPABILITIES,
    });
    if (!consumed.ok) throw Object.assign(new Error(`consume refused: ${consumed.code}`), { ack: consumed });
    const kind = consumed.kind as Kind;
    const rtp = consumed.rtp_parameters as {
      mid: string;
      codecs: { payloadType: number; parameters?: Record<string, unknown> }[];
      encodings: { ssrc: number }[];
      rtcp: { cname: string };
    };
    const codec = rtp.codecs[0];
    const encoding = rtp.encodings[0];
    if (!codec || !encoding) throw new Error('consumer without codec or encoding');
    const pt = codec.payloadType;
    const fmtp = Object.entries(codec.parameters ?? {})
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(';');
    const offer = [
      ...sessionLines(transport, rtp.mid),
      `m=${kind} 7 UDP/TLS/RTP/SAVPF ${pt}`,
      ...mediaIceLines(transport),
      'a=setup:actpass',
      `a=mid:${rtp.mid}`,
      'a=sendonly',
      `a=rtpmap:${pt} ${CODECS[kind].rtpmap}`,
      ...(fmtp ? [`a=fmtp:${pt} ${fmtp}`] : []),
      `a=msid:${rtp.rtcp.cname} consumer-${consumed.id as string}`,
      `a=ssrc:${encoding.ssrc} cname:${rtp.rtcp.cname}`,
      '',
    ].join('\r\n');
    const pc = newPeer();
    this.peers.push(pc);
    let count = 0;
    let tracks = 0;
    pc.onTrack.subscribe((track) => {
      tracks += 1;
      track.onReceiveRtp.subscribe(() => {
        count += 1;
      });
    });
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    const local = pc.localDescription?.sdp ?? '';
    const setup = match(local, /a=setup:(\w+)/, 'setup');
    await this.must('connect_transport', {
      transport_id: transport.id,
      dtls_parameters: {
        role: setup === 'passive' ? 'server' : 'client',
        fingerprints: [{ algorithm: 'sha-256', value: fingerprintOf(local) }],
      },
    });
    const resumed = await this.must('resume_consumer', { consumer_id: consumed.id });
    await waitFor(() => pc.connectionState === 'connected', 10000, 'the receive transport to connect');
    return {
      consumerId: consumed.id as string,
      pc,
      packets: () => count,
      pausedAtResume: resumed.paused === true,
      trackSeen: () => tracks > 0,
    };
  }

  async close(): Promise<void> {
    this.socket.close();
    await Promise.all(this.peers.map((pc) => pc.close().catch(() => undefined)));
  }
}

/**
 * Connects to `/voice` at a VOICE_SERVER_UPDATE's endpoint with its token (on `path`, or socket.io's
 * default when undefined) and sends create_transport: 'ok', or what went wrong.
 */
export function tryVoiceCommand(
  d: { endpoint?: unknown; token?: unknown },
  path: string | undefined,
): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = io(`${d.endpoint as string}/voice`, {
      ...(path === undefined ? {} : { path }),
      transports: ['websocket'],
      auth: { token: d.token },
      reconnection: false,
      forceNew: true,
    });
    const finish = (outcome: string) => {
      clearTimeout(timer);
      socket.disconnect();
      resolve(outcome);
    };
    // Each step gets its own 10 s: on a busy machine the handshake and a voice process's first
    // transport together can outlast one budget shared by both.
    const timer = setTimeout(() => finish('no connection within 10 s'), 10000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket
        .timeout(10000)
        .emitWithAck('create_transport', { direction: 'send' })
        .then(
          (a: VoiceAck) => finish(a?.ok ? 'ok' : `ack ${JSON.stringify(a)}`),
          (err: Error) => finish(`no ack: ${err.message}`),
        );
    });
    socket.once('connect_error', (err: Error & { data?: unknown }) =>
      finish(`refused: ${err.message} ${JSON.stringify(err.data ?? {})}`),
    );
  });
}
