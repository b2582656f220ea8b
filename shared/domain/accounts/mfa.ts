import type { Transaction } from 'sequelize';
import { recordSecurityEvent } from '../../auth/security-events.js';
import type { SecretBox } from '../../auth/secret-box.js';
import type { Row } from '../../db/models/index.js';
import { ApiError, ConflictError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import type { Effects } from '../../outbox/effects.js';
import { runCommand } from '../../outbox/index.js';
import { presentSelf } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import {
  newBackupCodes,
  newTotpSecret,
  storeBackupCodes,
  verifySecondFactor,
  verifyTotp,
} from '../../accounts/second-factor.js';
import { requireUser } from '../members/present.js';

/**
 * Counts one code attempt against the caller's throttle before the code is judged (the API's
 * per-account limit); the returned `succeeded` gives it back when the code was right.
 */
export type CodeAttempt = () => Promise<{ succeeded(): Promise<void> }>;

/** A second-factor code someone sent, from where, and how attempts at it are counted. */
export interface CodeCheck {
  code: string;
  ip: string;
  attempt: CodeAttempt;
}

/**
 * Counts an attempt, then judges the code with `verify`: a wrong one is recorded as `mfa_failure`
 * and answered 400 `invalid_code`; a right one gives the attempt back. Returns what `verify` found.
 */
async function judgeCode<T>(
  rt: Runtime,
  userId: string,
  check: CodeCheck,
  verify: () => Promise<T | null | false>,
): Promise<T> {
  const counted = await check.attempt();
  const found = await verify();
  if (found === null || found === false) {
    await recordSecurityEvent(rt, 'mfa_failure', { userId, ip: check.ip });
    throw invalidCode();
  }
  await counted.succeeded();
  return found;
}

const invalidCode = () =>
  new ApiError(400, 'invalid_code', 'Invalid two-factor code', { code: 'is not valid' });

const alreadyOn = () => new ConflictError('mfa_already_enabled', 'Two-factor authentication is already on');

const notOn = () => new ApiError(400, 'mfa_not_enabled', 'Two-factor authentication is not on');

function refuseBots(user: Row<'User'>): void {
  if (user.is_bot) throw new ApiError(403, 'bots_cannot_use_mfa', 'Bots cannot use 2FA');
}

/**
 * Starts turning TOTP on for `userId` (POST /users/@me/mfa/totp/enable): a new secret is kept
 * sealed as pending and returned with its otpauth:// URL; 2FA is on only after confirmTotp. 409
 * when it is on already. Nothing anyone sees changes, so no event.
 */
export async function startTotp(
  rt: Runtime,
  box: SecretBox,
  userId: string,
): Promise<{ secret: string; otpauth_url: string }> {
  return runCommand(rt, rooms.user(userId), async (transaction) => {
    const user = await requireUser(rt, userId, transaction);
    refuseBots(user);
    if (user.mfa_enabled) throw alreadyOn();
    const pending = newTotpSecret(user.username);
    user.mfa_pending_secret = box.seal(pending.secret);
    await user.save({ fields: ['mfa_pending_secret'], transaction });
    return pending;
  });
}

/**
 * Turns TOTP on with a code from the pending secret (POST /users/@me/mfa/totp/confirm): 409 when
 * on already, 400 `mfa_not_started` without a pending secret, 400 `invalid_code` (recorded as
 * `mfa_failure`) for a wrong code. In one transaction the secret becomes the account's and ten new
 * backup codes replace any old ones; the user's connections hear USER_UPDATE (`mfa_enabled`).
 * Returns the backup codes, shown once. Recorded as `mfa_enabled`.
 */
export async function confirmTotp(
  rt: Runtime,
  box: SecretBox,
  userId: string,
  check: CodeCheck,
): Promise<string[]> {
  const user = await requireUser(rt, userId);
  refuseBots(user);
  if (user.mfa_enabled) throw alreadyOn();
  const pending = user.mfa_pending_secret;
  if (!pending) throw new ApiError(400, 'mfa_not_started', 'Call /users/@me/mfa/totp/enable first');
  await judgeCode(rt, userId, check, () =>
    verifyTotp(rt, user, box.open(pending), check.code.trim(), { spend: false }),
  );
  const codes = newBackupCodes();
  await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const row = await requireUser(rt, userId, transaction);
    if (row.mfa_enabled) throw alreadyOn();
    // A second /enable meanwhile replaced the secret this code was checked against.
    if (row.mfa_pending_secret !== pending)
      throw new ApiError(400, 'mfa_not_started', 'Call /users/@me/mfa/totp/enable first');
    row.mfa_secret = pending;
    row.mfa_pending_secret = null;
    row.mfa_enabled = true;
    await row.save({ fields: ['mfa_secret', 'mfa_pending_secret', 'mfa_enabled'], transaction });
    await storeBackupCodes(rt, userId, codes, transaction);
    fx.invalidate({ accounts: [userId] });
    fx.dispatch([rooms.user(userId)], 'USER_UPDATE', presentSelf(rt.config, row));
  });
  await recordSecurityEvent(rt, 'mfa_enabled', { userId, ip: check.ip });
  return codes;
}

/**
 * Turns 2FA off for `user` (locked in a command's transaction): secret, pending secret, last time step and backup
 * codes go, and the user's connections hear USER_UPDATE. Returns whether it was on.
 */
export async function turnOffMfaRows(
  rt: Pick<Runtime, 'models' | 'config'>,
  user: Row<'User'>,
  transaction: Transaction,
  fx: Effects,
): Promise<boolean> {
  const wasOn = user.mfa_enabled;
  user.mfa_enabled = false;
  user.mfa_secret = null;
  user.mfa_pending_secret = null;
  user.mfa_last_time_step = null;
  await user.save({
    fields: ['mfa_enabled', 'mfa_secret', 'mfa_pending_secret', 'mfa_last_time_step'],
    transaction,
  });
  await rt.models.MfaBackupCode.destroy({ where: { user_id: user.id }, transaction });
  fx.invalidate({ accounts: [user.id] });
  if (wasOn) fx.dispatch([rooms.user(user.id)], 'USER_UPDATE', presentSelf(rt.config, user));
  return wasOn;
}

/**
 * Turns `userId`'s own 2FA off (POST /users/@me/mfa/totp/disable) with a TOTP code or an unused
 * backup code: 400 `mfa_not_enabled`, 400 `invalid_code` (recorded as `mfa_failure`). Recorded as
 * `mfa_disabled` (and `backup_code_used` when a backup code did it).
 */
export async function disableTotp(
  rt: Runtime,
  box: SecretBox,
  userId: string,
  check: CodeCheck,
): Promise<void> {
  const user = await requireUser(rt, userId);
  if (!user.mfa_enabled) throw notOn();
  const factor = await judgeCode(rt, userId, check, () =>
    verifySecondFactor(rt, box, user, check.code, { spend: false }),
  );
  if (factor === 'backup') await recordSecurityEvent(rt, 'backup_code_used', { userId, ip: check.ip });
  await runCommand(rt, rooms.user(userId), async (transaction, fx) =>
    turnOffMfaRows(rt, await requireUser(rt, userId, transaction), transaction, fx),
  );
  await recordSecurityEvent(rt, 'mfa_disabled', { userId, ip: check.ip });
}

/**
 * An operator turns `userId`'s 2FA off (admin API, CLI): 400 `bot_account`, 400 `mfa_not_enabled`.
 * `details` says who (recorded with `mfa_disabled`).
 */
export async function operatorTurnOffMfa(
  rt: Runtime,
  userId: string,
  audit: { ip: string | null; details: Record<string, unknown> },
): Promise<void> {
  await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const user = await requireUser(rt, userId, transaction);
    if (user.is_bot) throw new ApiError(400, 'bot_account', 'Bot accounts have no password or 2FA');
    if (!user.mfa_enabled) throw notOn();
    await turnOffMfaRows(rt, user, transaction, fx);
  });
  await recordSecurityEvent(rt, 'mfa_disabled', { userId, ip: audit.ip, details: audit.details });
}
