import type { Runtime } from '../runtime.js';
import { voiceKeys, type VoiceKeys } from './keys.js';

/** A member's voice state as clients see it (VOICE_STATE_UPDATE, READY's voice_states). */
export interface VoiceStateObject {
  server_id: string;
  /** null in VOICE_STATE_UPDATE: the user left voice. */
  channel_id: string | null;
  user_id: string;
  /** The gateway session that joined (a drop of that session's connection does not end it; its end does). */
  session_id: string;
  self_mute: boolean;
  self_deaf: boolean;
  /** Sending video from a camera / sharing a screen (set by the voice server from what they produce). */
  self_video: boolean;
  self_stream: boolean;
  /** Server-muted (MUTE_MEMBERS) / server-deafened (DEAFEN_MEMBERS): enforced by the voice server. */
  mute: boolean;
  deaf: boolean;
  /** Stage audience: may listen, not speak, until a moderator invites them. */
  suppress: boolean;
  /** When a stage audience member raised their hand (unix seconds); null: not asking. */
  request_to_speak_timestamp: number | null;
  /** Audio above the speaking threshold right now (the voice server's audio level observer). */
  speaking: boolean;
}

/** What Redis keeps: the state plus where to reach the session that owns it. */
export interface VoiceStateRecord extends VoiceStateObject {
  channel_id: string;
  /** The auth session's room (rooms.session): VOICE_SERVER_UPDATE goes there. */
  auth_session_id: string;
}

/** The fields a voice state may be changed in place by (moderation, stage, the voice server). */
export type VoiceStatePatch = Partial<
  Pick<
    VoiceStateObject,
    | 'self_mute'
    | 'self_deaf'
    | 'self_video'
    | 'self_stream'
    | 'mute'
    | 'deaf'
    | 'suppress'
    | 'request_to_speak_timestamp'
    | 'speaking'
  >
>;

/** The state without the internal fields. */
export function presentVoiceState(record: VoiceStateRecord): VoiceStateObject {
  const { auth_session_id: _room, ...state } = record;
  return state;
}

/** The state a client sees for a user who left voice. */
export function leftVoiceState(record: VoiceStateRecord): VoiceStateObject {
  return { ...presentVoiceState(record), channel_id: null, speaking: false };
}

// A join replaces the user's state wherever it was, atomically, so a user is in one channel at a
// time and the user limit holds under concurrent joins. Staying in the same channel keeps what the
// server decided meanwhile (stage suppression, raised hand, what they produce).
const JOIN = `
local new = cjson.decode(ARGV[1])
local raw = redis.call('GET', KEYS[1])
local old = nil
if raw then old = cjson.decode(raw) end
local same = old ~= nil and old.channel_id == new.channel_id
if not same and tonumber(ARGV[2]) > 0 and ARGV[3] ~= '1' then
  if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[2]) then return {'full'} end
end
if same then
  new.suppress = old.suppress
  new.request_to_speak_timestamp = old.request_to_speak_timestamp
  new.self_video = old.self_video
  new.self_stream = old.self_stream
  new.speaking = old.speaking
end
if old then
  redis.call('SREM', ARGV[5] .. old.channel_id .. ':members', old.user_id)
  redis.call('HDEL', ARGV[4] .. old.server_id, old.user_id)
end
local encoded = cjson.encode(new)
redis.call('SET', KEYS[1], encoded)
redis.call('SADD', KEYS[3], new.user_id)
redis.call('HSET', KEYS[2], new.user_id, encoded)
return {'ok', encoded, raw or ''}`;

// Changes fields of a state in place when the user is (still) in the expected channel.
const UPDATE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
local s = cjson.decode(raw)
if ARGV[1] ~= '' and s.channel_id ~= ARGV[1] then return nil end
for k, v in pairs(cjson.decode(ARGV[2])) do s[k] = v end
local encoded = cjson.encode(s)
if encoded == raw then return {encoded, '0'} end
redis.call('SET', KEYS[1], encoded)
redis.call('HSET', ARGV[3] .. s.server_id, s.user_id, encoded)
return {encoded, '1'}`;

// Removes a state, only if it still belongs to the expected session / channel (a newer join wins).
const LEAVE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
local s = cjson.decode(raw)
if ARGV[1] ~= '' and s.session_id ~= ARGV[1] then return nil end
if ARGV[2] ~= '' and s.channel_id ~= ARGV[2] then return nil end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[4] .. s.channel_id .. ':members', s.user_id)
redis.call('HDEL', ARGV[3] .. s.server_id, s.user_id)
return raw`;

/**
 * Voice states in Redis, shared by the gateway (joins), the API (moderation) and the voice role
 * (enforcement): one JSON state per user, mirrored into a hash per server and a set per channel.
 */
export class VoiceStateStore {
  private readonly keys: VoiceKeys;

  constructor(private readonly rt: Pick<Runtime, 'redis' | 'config'>) {
    this.keys = voiceKeys(rt.config.redis.key_prefix);
  }

  private get serverPrefix(): string {
    return this.keys.server('');
  }

  private get channelPrefix(): string {
    return this.keys.members('').replace(/:members$/, '');
  }

  /** The user's current state, or null when they are not in voice. */
  async get(userId: string): Promise<VoiceStateRecord | null> {
    const raw = await this.rt.redis.get(this.keys.user(userId));
    return raw ? (JSON.parse(raw) as VoiceStateRecord) : null;
  }

  /** Everyone in voice in these servers. */
  async inServers(serverIds: string[]): Promise<VoiceStateRecord[]> {
    if (serverIds.length === 0) return [];
    const pipeline = this.rt.redis.pipeline();
    for (const id of serverIds) pipeline.hvals(this.keys.server(id));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([err, values]) => {
      if (err) throw err;
      return (values as string[]).map((v) => JSON.parse(v) as VoiceStateRecord);
    });
  }

  /** How many users are in the channel. */
  count(channelId: string): Promise<number> {
    return this.rt.redis.scard(this.keys.members(channelId));
  }

  /** The ids of the users in the channel. */
  members(channelId: string): Promise<string[]> {
    return this.rt.redis.smembers(this.keys.members(channelId));
  }

  /**
   * Puts the user in `state.channel_id` (leaving any other channel). `limit` (0: none) is checked
   * unless `bypassLimit`. Returns the stored state and the one it replaced, or 'full'.
   */
  async join(
    state: VoiceStateRecord,
    limit: number,
    bypassLimit: boolean,
  ): Promise<{ state: VoiceStateRecord; previous: VoiceStateRecord | null } | 'full'> {
    const result = (await this.rt.redis.eval(
      JOIN,
      3,
      this.keys.user(state.user_id),
      this.keys.server(state.server_id),
      this.keys.members(state.channel_id),
      JSON.stringify(state),
      String(limit),
      bypassLimit ? '1' : '0',
      this.serverPrefix,
      this.channelPrefix,
    )) as [string, string?, string?];
    if (result[0] === 'full') return 'full';
    return {
      state: JSON.parse(result[1] as string) as VoiceStateRecord,
      previous: result[2] ? (JSON.parse(result[2]) as VoiceStateRecord) : null,
    };
  }

  /**
   * Changes fields of the user's state if they are in `channelId` (any channel when null).
   * Returns the new state and whether anything changed; null when they are not there.
   */
  async update(
    userId: string,
    channelId: string | null,
    patch: VoiceStatePatch,
  ): Promise<{ state: VoiceStateRecord; changed: boolean } | null> {
    const result = (await this.rt.redis.eval(
      UPDATE,
      1,
      this.keys.user(userId),
      channelId ?? '',
      JSON.stringify(patch),
      this.serverPrefix,
    )) as [string, string] | null;
    if (!result) return null;
    return { state: JSON.parse(result[0]) as VoiceStateRecord, changed: result[1] === '1' };
  }

  /**
   * Removes the user's state; with `sessionId` / `channelId`, only if it still belongs to that
   * session / channel. Returns the removed state, or null when there was none to remove.
   */
  async leave(
    userId: string,
    only: { sessionId?: string; channelId?: string } = {},
  ): Promise<VoiceStateRecord | null> {
    const raw = (await this.rt.redis.eval(
      LEAVE,
      1,
      this.keys.user(userId),
      only.sessionId ?? '',
      only.channelId ?? '',
      this.serverPrefix,
      this.channelPrefix,
    )) as string | null;
    return raw ? (JSON.parse(raw) as VoiceStateRecord) : null;
  }
}
