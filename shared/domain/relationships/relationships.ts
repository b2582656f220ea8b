import { Op, QueryTypes, type Transaction } from 'sequelize';
import type { RelationshipStatus, Row } from '../../db/models/index.js';
import { ApiError, ConflictError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { pageBy, type PageQuery } from '../../pagination.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import { presentRelationship } from '../../presenters/relationship.js';
import type { RelationshipObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { requireUser } from '../members/present.js';

/** What a caller may set with PUT /users/@me/relationships/{user_id}. */
export type SettableRelationshipStatus = 'friend' | 'blocked';

/** One user's view of another changed: `status` null means the row is gone. */
interface RelationshipChange {
  to: string;
  other: string;
  status: RelationshipStatus | null;
}

/** The two ids of a pair, lower first (numerically: ids are decimal strings of different lengths). */
export function orderedPair(a: string, b: string): [string, string] {
  return BigInt(a) < BigInt(b) ? [a, b] : [b, a];
}

/** One page of `userId`'s relationships, keyed by the other user's id (API.md's pagination). */
export async function listRelationships(
  rt: Runtime,
  userId: string,
  query: PageQuery,
): Promise<RelationshipObject[]> {
  const { Relationship, User } = rt.models;
  const page = pageBy('target_id', query);
  const rows = await Relationship.findAll({
    where: { user_id: userId, ...page.where },
    order: page.order,
    limit: page.limit,
  });
  const users = await User.findAll({ where: { id: rows.map((r) => r.target_id) } });
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.flatMap((r) => {
    const other = byId.get(r.target_id);
    return other ? [presentRelationship(rt.config, other, r.status)] : [];
  });
}

/** Whether either user has blocked the other (no DM may be opened between them). */
export async function isBlockedEitherWay(
  rt: Runtime,
  a: string,
  b: string,
  transaction?: Transaction,
): Promise<boolean> {
  const count = await rt.models.Relationship.count({
    where: {
      status: 'blocked',
      [Op.or]: [
        { user_id: a, target_id: b },
        { user_id: b, target_id: a },
      ],
    },
    transaction,
  });
  return count > 0;
}

/**
 * PUT /users/@me/relationships/{user_id}: `callerId` sends or accepts a friend request, or blocks.
 * Both rows of the pair change in one transaction, under a lock on the pair, so two users acting
 * on each other at once end in a consistent state; each side hears RELATIONSHIP_ADD / _REMOVE.
 */
export async function setRelationship(
  rt: Runtime,
  callerId: string,
  targetId: string,
  status: SettableRelationshipStatus,
): Promise<void> {
  const caller = await requireUser(rt, callerId);
  if (caller.is_bot) {
    throw new ApiError(403, 'bots_cannot_have_relationships', 'Bots cannot have relationships');
  }
  if (targetId === caller.id) {
    throw new ApiError(400, 'cannot_target_self', 'You cannot befriend or block yourself', {
      user_id: 'is your own id',
    });
  }
  const target = await rt.models.User.findByPk(targetId);
  // A deleted account's placeholder takes no new friends or blocks.
  if (!target || target.deleted_at) throw new NotFoundError('user');
  if (status === 'friend' && target.is_bot) throw cannotAddFriend();

  await runCommand(rt, rooms.user(caller.id), async (transaction, fx) => {
    await lockPair(rt, caller.id, target.id, transaction);
    const pair = await loadPair(rt, caller.id, target.id, transaction);
    const tx = { rt, transaction, caller: caller.id, target: target.id };
    const changes = status === 'friend' ? await befriend(tx, pair) : await block(tx, pair);
    announce(rt, fx, changes, [caller, target]);
  });
}

/**
 * DELETE /users/@me/relationships/{user_id}: removes the caller's row (friend, request or block).
 * Ending a friendship or a request removes the other side's row too; the other side's block stays.
 */
export async function removeRelationship(rt: Runtime, callerId: string, targetId: string): Promise<void> {
  const caller = await requireUser(rt, callerId);
  await runCommand(rt, rooms.user(caller.id), async (transaction, fx) => {
    await lockPair(rt, caller.id, targetId, transaction);
    const { mine, theirs } = await loadPair(rt, caller.id, targetId, transaction);
    if (!mine) throw new NotFoundError('relationship');
    const tx = { rt, transaction, caller: caller.id, target: targetId };
    const result: RelationshipChange[] = [];
    await deleteRow(tx, caller.id, targetId);
    result.push({ to: caller.id, other: targetId, status: null });
    if (mine !== 'blocked' && theirs && theirs !== 'blocked') {
      await deleteRow(tx, targetId, caller.id);
      result.push({ to: targetId, other: caller.id, status: null });
    }
    announce(rt, fx, result, [caller]);
  });
}

interface Tx {
  rt: Runtime;
  transaction: Transaction;
  caller: string;
  target: string;
}

/** Each side's status, or undefined where there is no row. */
interface Pair {
  mine?: RelationshipStatus;
  theirs?: RelationshipStatus;
}

function cannotAddFriend(): ApiError {
  // Deliberately vague: a block must not be revealed to the blocked user.
  return new ApiError(403, 'cannot_add_friend', 'You cannot send a friend request to this user');
}

async function befriend(tx: Tx, { mine, theirs }: Pair): Promise<RelationshipChange[]> {
  const { caller, target } = tx;
  if (mine === 'blocked') {
    throw new ConflictError('user_blocked', 'You have blocked this user: unblock them first');
  }
  if (theirs === 'blocked') throw cannotAddFriend();
  if (mine === 'friend' || mine === 'pending_outgoing') return [];
  // Accepting their request makes both friends; otherwise this is a new request.
  const accepting = mine === 'pending_incoming';
  const callerStatus: RelationshipStatus = accepting ? 'friend' : 'pending_outgoing';
  const targetStatus: RelationshipStatus = accepting ? 'friend' : 'pending_incoming';
  await putRow(tx, caller, target, callerStatus);
  await putRow(tx, target, caller, targetStatus);
  return [
    { to: caller, other: target, status: callerStatus },
    { to: target, other: caller, status: targetStatus },
  ];
}

async function block(tx: Tx, { mine, theirs }: Pair): Promise<RelationshipChange[]> {
  const { caller, target } = tx;
  if (mine === 'blocked') return [];
  await putRow(tx, caller, target, 'blocked');
  const result: RelationshipChange[] = [{ to: caller, other: target, status: 'blocked' }];
  // The blocked user loses their friendship or request; their own block of the caller stays.
  if (theirs && theirs !== 'blocked') {
    await deleteRow(tx, target, caller);
    result.push({ to: target, other: caller, status: null });
  }
  return result;
}

/** Serializes every change to one pair's rows (the rows may not exist yet, so no row lock will do). */
async function lockPair(rt: Runtime, a: string, b: string, transaction: Transaction): Promise<void> {
  const [low, high] = orderedPair(a, b);
  await rt.sequelize.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', {
    bind: [`relationship:${low}:${high}`],
    type: QueryTypes.SELECT,
    transaction,
  });
}

async function loadPair(
  rt: Runtime,
  caller: string,
  target: string,
  transaction: Transaction,
): Promise<Pair> {
  const rows = await rt.models.Relationship.findAll({
    where: {
      [Op.or]: [
        { user_id: caller, target_id: target },
        { user_id: target, target_id: caller },
      ],
    },
    transaction,
  });
  return {
    mine: rows.find((r) => r.user_id === caller)?.status,
    theirs: rows.find((r) => r.user_id === target)?.status,
  };
}

/** Creates or updates `userId`'s row about `targetId`; created_at is when the status was set. */
async function putRow(tx: Tx, userId: string, targetId: string, status: RelationshipStatus): Promise<void> {
  await tx.rt.sequelize.query(
    `INSERT INTO relationships (user_id, target_id, status, created_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (user_id, target_id) DO UPDATE SET status = EXCLUDED.status, created_at = EXCLUDED.created_at`,
    { bind: [userId, targetId, status], transaction: tx.transaction },
  );
}

async function deleteRow(tx: Tx, userId: string, targetId: string): Promise<void> {
  await tx.rt.models.Relationship.destroy({
    where: { user_id: userId, target_id: targetId },
    transaction: tx.transaction,
  });
}

/** RELATIONSHIP_ADD / RELATIONSHIP_REMOVE to each affected user's room. */
function announce(
  rt: Pick<Runtime, 'config'>,
  fx: Effects,
  changes: RelationshipChange[],
  known: Row<'User'>[],
): void {
  const users = new Map(known.map((u) => [u.id, u]));
  for (const change of changes) {
    const room = rooms.user(change.to);
    const other = users.get(change.other);
    if (change.status === null) fx.dispatch([room], 'RELATIONSHIP_REMOVE', { id: change.other });
    else if (other)
      fx.dispatch([room], 'RELATIONSHIP_ADD', presentRelationship(rt.config, other, change.status));
  }
}
