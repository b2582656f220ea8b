/** VOICE_SERVER_UPDATE: where and how to connect to the voice server for a channel. */
export interface VoiceServerUpdate {
  server_id: string;
  channel_id: string;
  /** Base URL of the voice signaling server (socket.io), e.g. `https://voice1.example.org`. */
  endpoint: string;
  /** socket.io path there; the namespace is `/voice`. */
  path: string;
  /** Send as `auth: {token}` when connecting; single use, valid for `expires_in` seconds. */
  token: string;
  expires_in: number;
  /** The router's RTP capabilities (mediasoup-client's `device.load({routerRtpCapabilities})`). */
  router_rtp_capabilities: unknown;
}

/** A stage channel's live instance: its topic while it runs. */
export interface StageInstanceObject {
  channel_id: string;
  server_id: string;
  topic: string;
  /** Who started it. */
  started_by: string;
  created_at: number;
}
