import { Op, literal, type Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import type { Effects } from '../../outbox/effects.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { addMember, announceJoin } from '../members/join.js';

/** Whether an invite can still be used: not revoked, not expired, not used up. */
export function usableInvite(invite: Row<'Invite'>, now = new Date()): boolean {
  if (invite.revoked_at) return false;
  if (invite.expires_at && invite.expires_at.getTime() <= now.getTime()) return false;
  return invite.max_uses === 0 || invite.uses < invite.max_uses;
}

/** The SQL form of `usableInvite`, for the conditional use count update. */
export const usableInviteWhere = {
  revoked_at: null,
  [Op.and]: [
    { [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gt]: literal('now()') } }] },
    { [Op.or]: [{ max_uses: 0 }, literal('uses < max_uses')] },
  ],
};

/** The invite of `code` when it can still be used, else 404 `unknown_invite`. */
export async function findUsableInvite(
  rt: Pick<Runtime, 'models'>,
  code: string,
  transaction?: Transaction,
): Promise<Row<'Invite'>> {
  const invite = await rt.models.Invite.findByPk(code, { transaction });
  if (!invite || !usableInvite(invite)) throw new NotFoundError('invite');
  return invite;
}

/** What joining through an invite did. */
export interface InviteJoin {
  serverId: string;
  joined: boolean;
  noticeJobId: string | null;
}

/**
 * Joins `userId` to the server of invite `code` inside a command's transaction, counting one use
 * atomically (so `max_uses` is never exceeded) and announcing the join through `fx` (`noticeJobId`:
 * the member_join notice's job): 404 `unknown_invite` when it is not usable, 403 `banned`. An
 * existing member uses nothing (`joined` false). Shared by POST /invites/{code} (joinByInvite) and invite-only registration, which joins
 * in the new account's transaction.
 */
export async function joinThroughInvite(
  rt: Pick<Runtime, 'models' | 'sequelize' | 'events' | 'snowflake' | 'config'>,
  code: string,
  userId: string,
  transaction: Transaction,
  fx: Effects,
): Promise<InviteJoin> {
  const invite = await findUsableInvite(rt, code, transaction);
  const serverId = invite.server_id;
  if (!(await addMember(rt, serverId, userId, transaction, fx))) {
    return { serverId, joined: false, noticeJobId: null };
  }
  const [count] = await rt.models.Invite.update(
    { uses: literal('uses + 1') },
    { where: { code: invite.code, ...usableInviteWhere }, transaction },
  );
  if (count === 0) throw new NotFoundError('invite');
  const noticeJobId = await announceJoin(rt, serverId, userId, transaction, fx);
  return { serverId, joined: true, noticeJobId };
}

/** The join command of POST /invites/{code}: joinThroughInvite in a transaction of its own. */
export function joinByInvite(rt: Runtime, code: string, userId: string): Promise<InviteJoin> {
  return runCommand(rt, null, (transaction, fx) => joinThroughInvite(rt, code, userId, transaction, fx));
}
