import type { Runtime } from '../runtime.js';
import { voiceKeys, type VoiceKeys } from './keys.js';

/** A running voice process as the others see it in Redis. */
export interface VoiceNodeInfo {
  id: string;
  /** Base URL of its signaling server (VOICE_SERVER_UPDATE.endpoint). */
  endpoint: string;
  /** socket.io path of its signaling (config voice.path). */
  path: string;
  /** What its routers accept (every router of a node has the same codecs). */
  rtp_capabilities: unknown;
  /** Rooms (channels with a router) it hosts: joins go to the least loaded node. */
  rooms: number;
  started_at: number;
}

// The channel stays on its node while that node is alive; otherwise the candidate takes it. One
// atomic step, so concurrent first joins agree on one node.
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current and redis.call('EXISTS', ARGV[2] .. current) == 1 then return current end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The registry of voice processes and which one hosts each channel. A node refreshes its entry on a
 * heartbeat; one that stops (crashed, killed) expires, and its channels move on the next join.
 */
export class VoiceNodeRegistry {
  private readonly keys: VoiceKeys;

  constructor(private readonly rt: Pick<Runtime, 'redis' | 'config'>) {
    this.keys = voiceKeys(rt.config.redis.key_prefix);
  }

  /** Publishes (or refreshes) a node's entry for `ttlMs`. */
  async announce(info: VoiceNodeInfo, ttlMs: number): Promise<void> {
    await this.rt.redis
      .multi()
      .set(this.keys.node(info.id), JSON.stringify(info), 'PX', ttlMs)
      .sadd(this.keys.nodes, info.id)
      .exec();
  }

  /** Removes a node that is shutting down (its channels move on their next join). */
  async withdraw(nodeId: string): Promise<void> {
    await this.rt.redis.multi().del(this.keys.node(nodeId)).srem(this.keys.nodes, nodeId).exec();
  }

  async get(nodeId: string): Promise<VoiceNodeInfo | null> {
    const raw = await this.rt.redis.get(this.keys.node(nodeId));
    return raw ? (JSON.parse(raw) as VoiceNodeInfo) : null;
  }

  /** Every live node (expired ones are forgotten on the way). */
  async live(): Promise<VoiceNodeInfo[]> {
    const ids = await this.rt.redis.smembers(this.keys.nodes);
    if (ids.length === 0) return [];
    const raws = await this.rt.redis.mget(ids.map((id) => this.keys.node(id)));
    const dead = ids.filter((_, i) => raws[i] === null);
    if (dead.length > 0) await this.rt.redis.srem(this.keys.nodes, ...dead);
    return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as VoiceNodeInfo] : []));
  }

  /** The node currently recorded for a channel, if it is alive. */
  async hostOf(channelId: string): Promise<VoiceNodeInfo | null> {
    const id = await this.rt.redis.get(this.keys.channelNode(channelId));
    return id ? this.get(id) : null;
  }

  /**
   * The node that hosts the channel: the recorded one while it lives, else the least loaded live
   * node, recorded atomically. Null when no voice node is running.
   */
  async forChannel(channelId: string): Promise<VoiceNodeInfo | null> {
    const host = await this.hostOf(channelId);
    if (host) return host;
    const live = await this.live();
    if (live.length === 0) return null;
    const fewest = Math.min(...live.map((n) => n.rooms));
    const candidates = live.filter((n) => n.rooms === fewest);
    const pick = candidates[Math.floor(Math.random() * candidates.length)] as VoiceNodeInfo;
    const chosen = await this.claim(channelId, pick.id);
    return chosen === pick.id ? pick : ((await this.get(chosen)) ?? pick);
  }

  /** Records `nodeId` as the channel's host unless a live node already is; returns the host. */
  async claim(channelId: string, nodeId: string): Promise<string> {
    return (await this.rt.redis.eval(
      CLAIM,
      1,
      this.keys.channelNode(channelId),
      nodeId,
      this.keys.nodePrefix,
    )) as string;
  }

  /** Forgets the channel's host if it is still `nodeId` (its room closed). */
  async release(channelId: string, nodeId: string): Promise<void> {
    await this.rt.redis.eval(RELEASE, 1, this.keys.channelNode(channelId), nodeId);
  }
}
