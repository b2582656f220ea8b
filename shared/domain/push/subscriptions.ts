import net from 'node:net';
import { QueryTypes, UniqueConstraintError } from 'sequelize';
import type { Config } from '../../config/index.js';
import type { Row } from '../../db/models/index.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { CidrSet } from '../../net/ip.js';
import { isPublicAddress } from '../../net/public-address.js';
import { unixSeconds } from '../../presenters/time.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { runCommand } from '../../outbox/index.js';

/** A push subscription as its owner sees it (the keys never leave the server again). */
export interface PushSubscriptionObject {
  id: string;
  endpoint: string;
  user_agent: string | null;
  created_at: number;
  last_success_at: number | null;
  failure_count: number;
}

/** POST /users/@me/push-subscriptions, as validated by the route's schema. */
export interface SubscribeInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export function presentSubscription(row: Row<'PushSubscription'>): PushSubscriptionObject {
  return {
    id: row.id,
    endpoint: row.endpoint,
    user_agent: row.user_agent,
    created_at: unixSeconds(row.created_at),
    last_success_at: row.last_success_at ? unixSeconds(row.last_success_at) : null,
    failure_count: row.failure_count,
  };
}

/**
 * Refuses endpoints the worker would never be allowed to reach, so the client hears it now
 * rather than never getting a push: credentials in the URL, an address literal that is private
 * (unless in outbound.allow_private), and plain http except to an allowed address literal (local
 * testing). Names are resolved only when sending, where the safe fetcher checks them again.
 */
function checkEndpoint(config: Pick<Config, 'outbound'>, endpoint: string): void {
  const url = new URL(endpoint);
  const refuse = (why: string): never => {
    throw new ValidationError({ endpoint: `endpoint ${why}` });
  };
  if (url.username || url.password) refuse('must not contain credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowed = net.isIP(host) !== 0 && new CidrSet(config.outbound.allow_private).has(host);
  if (url.protocol === 'http:' && !allowed) refuse('must be an https URL');
  if (net.isIP(host) !== 0 && !allowed && !isPublicAddress(host)) refuse('must not be a private address');
}

/**
 * Registers (or refreshes) one browser's subscription for `userId`: 201 when new, 200 when the
 * endpoint was already theirs. An endpoint is one browser profile, so one registered by another
 * user moves to this one. Beyond push.max_subscriptions_per_user, the least recently used of the
 * user's others are dropped. It belongs to the calling session from then on (revoking that session
 * deletes it). Rows of one user are serialized on the user row.
 */
export async function subscribe(
  rt: Runtime,
  caller: { userId: string; sessionId: string },
  input: SubscribeInput,
  userAgent: string | null,
): Promise<{ created: boolean; subscription: PushSubscriptionObject }> {
  checkEndpoint(rt.config, input.endpoint);
  const { userId, sessionId } = caller;
  const { PushSubscription } = rt.models;
  const id = rt.snowflake.next();
  const now = new Date(decodeSnowflake(id).timestampMs);
  const store = () =>
    runCommand(rt, rooms.user(userId), async (transaction, fx) => {
      await rt.sequelize.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, {
        bind: [userId],
        type: QueryTypes.SELECT,
        transaction,
      });
      const existing = await PushSubscription.findOne({
        where: { endpoint: input.endpoint },
        lock: transaction.LOCK.UPDATE,
        transaction,
      });
      let previous: string | null = null;
      if (existing && existing.user_id !== userId) {
        previous = existing.user_id;
        await existing.destroy({ transaction });
      }
      const mine = existing && existing.user_id === userId ? existing : null;
      const fields = {
        session_id: sessionId,
        p256dh: input.keys.p256dh,
        auth: input.keys.auth,
        user_agent: userAgent?.slice(0, 512) ?? null,
        updated_at: now,
      };
      let stored: Row<'PushSubscription'>;
      if (mine) {
        // New keys are a new subscription as far as failures go.
        stored = await mine.update({ ...fields, failure_count: 0 }, { transaction });
      } else {
        stored = await PushSubscription.create(
          { id, user_id: userId, endpoint: input.endpoint, created_at: now, ...fields },
          { transaction },
        );
      }
      await rt.sequelize.query(
        `DELETE FROM push_subscriptions WHERE id IN (
         SELECT id FROM push_subscriptions WHERE user_id = $1
          ORDER BY greatest(updated_at, coalesce(last_success_at, updated_at)) DESC, id DESC
         OFFSET $2)`,
        { bind: [userId, rt.config.push.max_subscriptions_per_user], type: QueryTypes.DELETE, transaction },
      );
      // Subscriber flags (Redis) follow the committed rows: this user's, and a previous owner's.
      fx.refresh('push', previous ? [userId, previous] : [userId]);
      return { row: stored, created: !mine };
    });
  // Two first registrations of one endpoint at once: the loser finds the winner's row on a retry.
  const { row, created } = await store().catch((err: unknown) => {
    if (err instanceof UniqueConstraintError) return store();
    throw err;
  });
  return { created, subscription: presentSubscription(row) };
}

/** Deletes one of `userId`'s subscriptions, named by endpoint or id; 404 when it is not theirs. */
export async function unsubscribe(
  rt: Runtime,
  userId: string,
  which: { endpoint: string } | { id: string },
): Promise<void> {
  const where = 'endpoint' in which ? { endpoint: which.endpoint } : { id: which.id };
  await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const deleted = await rt.models.PushSubscription.destroy({
      where: { ...where, user_id: userId },
      transaction,
    });
    if (deleted === 0) throw new NotFoundError('push subscription');
    fx.refresh('push', [userId]);
  });
}
