import type { Runtime } from '../shared/runtime.js';

/** The running voice role. */
export interface VoiceService {
  close(): Promise<void>;
}

/**
 * Starts the voice role. The mediasoup SFU arrives with the voice capability; until then the role
 * only reports that it is up, so deployments can already run and supervise it.
 */
export function startVoice(rt: Runtime): VoiceService {
  rt.logger.info('voice role started (no SFU yet)');
  return { close: () => Promise.resolve() };
}
