/**
 * Redis keys of voice, under the deployment's key prefix. Every role reads and writes them through
 * shared/voice; the voice role and the gateway never talk to each other directly.
 */
export function voiceKeys(prefix: string) {
  const p = `${prefix}:voice`;
  return {
    /** A user's voice state (JSON): at most one per user, so a user is in one channel at a time. */
    user: (userId: string) => `${p}:user:${userId}`,
    /** Hash user id -> voice state (JSON) of everyone in the server's voice channels (READY). */
    server: (serverId: string) => `${p}:server:${serverId}`,
    /** Set of the user ids in a channel (its user limit counts them). */
    members: (channelId: string) => `${p}:channel:${channelId}:members`,
    /** The voice node that hosts the channel's router. */
    channelNode: (channelId: string) => `${p}:channel:${channelId}:node`,
    /** A voice node's description (JSON), expiring unless its heartbeat refreshes it. */
    node: (nodeId: string) => `${p}:node:${nodeId}`,
    /** Prefix of node keys (the scripts that check liveness build them). */
    nodePrefix: `${p}:node:`,
    /** Set of node ids that have registered (dead ones are dropped as they are found). */
    nodes: `${p}:nodes`,
    /** A voice token (JSON grant), used once. */
    token: (token: string) => `${p}:token:${token}`,
    /** A stage channel's live instance (JSON: topic...). */
    stage: (channelId: string) => `${p}:stage:${channelId}`,
    /** Pub/sub channel of commands to voice nodes (shared/voice-chat/control.ts). */
    control: `${p}:control`,
  };
}

export type VoiceKeys = ReturnType<typeof voiceKeys>;
