import type * as Mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';

export type { ms };
export type MediasoupModule = typeof Mediasoup;

/**
 * Loads mediasoup, an optional dependency (its C++ worker is built at install time and may be
 * missing): null when it is not installed, so the all-in-one process runs without voice.
 */
export async function loadMediasoup(): Promise<MediasoupModule | null> {
  try {
    return await import('mediasoup');
  } catch {
    return null;
  }
}

/**
 * The codecs every router offers: Opus for voice; VP8 and H264 (constrained baseline, what
 * browsers and hardware encoders share) for cameras and screen sharing.
 */
export const MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];
