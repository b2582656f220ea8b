import crypto from 'node:crypto';
import { hashToken } from '../../auth/tokens.js';
import { ApiError, NotFoundError } from '../../errors.js';
import type { MessageObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';

/**
 * Interactions live in Redis only, for the follow-up window: any API process can take the
 * callback of an interaction another one created. Per interaction id:
 * - `<base>`          the record (JSON), with the SHA-256 of its token;
 * - `<base>:ack`      the first answer, set once with SET NX: `message`, `ephemeral` or `deferred`
 *                     from the application, or `expired`/`failed` from Plexichat. Whoever sets it
 *                     first decides, so an answer racing the deadline is either taken or refused;
 * - `<base>:outcome`  what the invoking user is answered (also published on OUTCOME_CHANNEL);
 * - `<base>:original` the message that is the "original response" (PATCH .../original).
 */
export const FOLLOWUP_WINDOW_SECONDS = 15 * 60;

/** Pub/sub channel (under the key prefix) carrying outcomes to the process holding the user's request. */
export const OUTCOME_CHANNEL = 'interactions:outcomes';

/** What Plexichat keeps about a pending interaction. */
export interface InteractionRecord {
  id: string;
  application_id: string;
  bot_user_id: string;
  /** SHA-256 of the token, hex. */
  token_hash: string;
  user_id: string;
  server_id: string;
  channel_id: string;
  command_id: string;
  command_name: string;
  /** Unix ms: the first answer must be taken by then. */
  deadline_at: number;
  /** Unix ms: the end of the follow-up window. */
  expires_at: number;
}

/** The first answer (or the failure that took its place). */
export interface Ack {
  type: 'message' | 'ephemeral' | 'deferred' | 'expired' | 'failed';
  /** deferred: whether the answer to come will be ephemeral. */
  ephemeral?: boolean;
}

/** What the invoking user's request ends with. */
export type Outcome =
  { status: 'message' | 'ephemeral' | 'deferred'; message?: MessageObject } | { failed: string };

/** The original response: a stored message, or an ephemeral one (kept here, since it is stored nowhere else). */
export interface OriginalResponse {
  message_id: string;
  ephemeral: boolean;
  message?: MessageObject;
}

const key = (rt: Pick<Runtime, 'config'>, id: string, part?: string) =>
  `${rt.config.redis.key_prefix}:interaction:${id}${part ? `:${part}` : ''}`;

/** The full pub/sub channel name for this configuration. */
export const outcomeChannel = (rt: Pick<Runtime, 'config'>) =>
  `${rt.config.redis.key_prefix}:${OUTCOME_CHANNEL}`;

/** Milliseconds left in the record's follow-up window (at least 1 s, so a SET never gets a bad TTL). */
function ttlMs(record: InteractionRecord): number {
  return Math.max(1000, record.expires_at - Date.now());
}

/** Stores a new interaction for the follow-up window. */
export async function saveInteraction(rt: Runtime, record: InteractionRecord): Promise<void> {
  await rt.redis.set(key(rt, record.id), JSON.stringify(record), 'PX', ttlMs(record));
}

/** The interaction's record, if its follow-up window is still open (for whoever delivers it). */
export async function loadInteraction(rt: Runtime, id: string): Promise<InteractionRecord | null> {
  const raw = await rt.redis.get(key(rt, id));
  return raw ? (JSON.parse(raw) as InteractionRecord) : null;
}

/** Compared against when the interaction is unknown, so both failures take the same work. */
const DUMMY_HASH = hashToken('no-such-interaction');

/**
 * The interaction whose id and token these are. Unknown id, a follow-up window that has ended and a
 * wrong token are all 404 `unknown_interaction`; the hashes are compared in constant time.
 */
export async function authenticateInteraction(
  rt: Runtime,
  id: string,
  token: string,
): Promise<InteractionRecord> {
  const record = await loadInteraction(rt, id);
  const given = hashToken(token);
  const expected = record ? Buffer.from(record.token_hash, 'hex') : DUMMY_HASH;
  const same = expected.length === given.length && crypto.timingSafeEqual(expected, given);
  if (!record || !same) throw new NotFoundError('interaction');
  return record;
}

/** The interaction's first answer so far, if any. */
export async function readAck(rt: Runtime, id: string): Promise<Ack | null> {
  const raw = await rt.redis.get(key(rt, id, 'ack'));
  return raw ? (JSON.parse(raw) as Ack) : null;
}

/** Sets the first answer unless one exists; returns the one that was there before, or null when `ack` won. */
export async function claimAck(rt: Runtime, record: InteractionRecord, ack: Ack): Promise<Ack | null> {
  const set = await rt.redis.set(key(rt, record.id, 'ack'), JSON.stringify(ack), 'PX', ttlMs(record), 'NX');
  if (set === 'OK') return null;
  return (await readAck(rt, record.id)) ?? { type: 'expired' };
}

/** 410: the first answer came after the deadline (or delivery failed): the interaction is over. */
export function interactionExpired(): ApiError {
  return new ApiError(410, 'interaction_expired', 'The interaction failed or its deadline passed');
}

/** Whether an ack is an application's answer (as opposed to Plexichat giving up). */
export function isAnswered(ack: Ack | null): boolean {
  return ack !== null && ack.type !== 'expired' && ack.type !== 'failed';
}

/**
 * Takes the application's first answer: 410 `interaction_expired` after the deadline (even when the
 * process that was waiting for it died), 409 `interaction_already_acknowledged` for a second one.
 */
export async function claimFirstAnswer(rt: Runtime, record: InteractionRecord, ack: Ack): Promise<void> {
  const late = Date.now() > record.deadline_at;
  const existing = await claimAck(rt, record, late ? { type: 'expired' } : ack);
  if (isAnswered(existing)) {
    throw new ApiError(409, 'interaction_already_acknowledged', 'This interaction has already been answered');
  }
  if (late || existing) throw interactionExpired();
}

/** Records the user's outcome and tells the process holding their request. */
export async function publishOutcome(
  rt: Runtime,
  record: InteractionRecord,
  outcome: Outcome,
): Promise<void> {
  const json = JSON.stringify({ id: record.id, outcome });
  await rt.redis.set(key(rt, record.id, 'outcome'), json, 'PX', ttlMs(record));
  await rt.redis.publish(outcomeChannel(rt), json);
}

/** The outcome recorded so far (for a waiter that may have missed the publication). */
export async function readOutcome(rt: Runtime, id: string): Promise<Outcome | null> {
  const raw = await rt.redis.get(key(rt, id, 'outcome'));
  return raw ? (JSON.parse(raw) as { outcome: Outcome }).outcome : null;
}

/** The original response, if there is one yet. */
export async function readOriginal(rt: Runtime, id: string): Promise<OriginalResponse | null> {
  const raw = await rt.redis.get(key(rt, id, 'original'));
  return raw ? (JSON.parse(raw) as OriginalResponse) : null;
}

/** Records the original response; with `onlyIfNone`, only when there is none yet (returns whether it was set). */
export async function writeOriginal(
  rt: Runtime,
  record: InteractionRecord,
  original: OriginalResponse,
  onlyIfNone = false,
): Promise<boolean> {
  const json = JSON.stringify(original);
  const set = onlyIfNone
    ? await rt.redis.set(key(rt, record.id, 'original'), json, 'PX', ttlMs(record), 'NX')
    : await rt.redis.set(key(rt, record.id, 'original'), json, 'PX', ttlMs(record));
  return set === 'OK';
}
