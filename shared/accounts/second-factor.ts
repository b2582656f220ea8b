import crypto from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { QueryTypes, type Transaction } from 'sequelize';
import type { SecretBox } from '../auth/secret-box.js';
import { hashToken } from '../auth/tokens.js';
import type { Attributes } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';

/** How many one-time backup codes a user gets when 2FA is turned on. */
export const BACKUP_CODE_COUNT = 10;
const BACKUP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A new TOTP secret and its otpauth:// URL for authenticator apps. */
export function newTotpSecret(username: string): { secret: string; otpauth_url: string } {
  const secret = generateSecret();
  return { secret, otpauth_url: generateURI({ issuer: 'Plexichat', label: username, secret }) };
}

/**
 * What a code is for. Signing in spends it (`spend: true`, in the sign-in's transaction): a TOTP
 * code signs in once (RFC 6238 section 5.2). A signed-in session confirming one of its own actions
 * (turning 2FA on or off, deleting the account) only checks it (`spend: false`), so the code that
 * just confirmed 2FA, or just signed in, still serves the next step within its 30 seconds. Backup
 * codes are spent either way.
 */
export type CodeUse = { spend: true; transaction?: Transaction } | { spend: false };

/**
 * Checks a TOTP code (one step of clock drift either way). Spending it records its time step and
 * refuses any code from that step or an earlier one for later sign-ins; the step is claimed with a
 * conditional UPDATE, so two concurrent sign-ins with the same code cannot both win. Without a
 * transaction the claim is a statement of its own; in a command's transaction (a sign-in) it stands
 * or falls with what the code was for.
 */
export async function verifyTotp(
  rt: Runtime,
  user: Attributes<'User'>,
  secret: string,
  code: string,
  use: CodeUse,
): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false;
  const last = !use.spend || user.mfa_last_time_step === null ? undefined : Number(user.mfa_last_time_step);
  let result;
  try {
    result = await verify({ secret, token: code, epochTolerance: 30, afterTimeStep: last });
  } catch {
    return false;
  }
  if (!result.valid || !('timeStep' in result)) return false;
  if (!use.spend) return true;
  const { transaction } = use;
  const step = result.timeStep;
  // Outside a command, a claimed step stays claimed even when what the code was for fails; the step
  // is in no cached value or user object, so nothing to relay either way.
  const claimed = await rt.sequelize.query(
    `UPDATE users SET mfa_last_time_step = $1
      WHERE id = $2 AND (mfa_last_time_step IS NULL OR mfa_last_time_step < $1) RETURNING id`,
    { bind: [step, user.id], type: QueryTypes.SELECT, transaction },
  );
  if (claimed.length === 0) return false;
  user.mfa_last_time_step = String(step);
  return true;
}

function normalizeBackupCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Ten new backup codes, as shown to the user once (storeBackupCodes keeps their hashes). */
export function newBackupCodes(): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => {
    const chars = Array.from(crypto.randomBytes(10), (b) => BACKUP_ALPHABET[b % BACKUP_ALPHABET.length]).join(
      '',
    );
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** Replaces the user's backup codes with `codes` in a command's transaction (only hashes are kept). */
export async function storeBackupCodes(
  rt: Pick<Runtime, 'models' | 'snowflake'>,
  userId: string,
  codes: string[],
  transaction: Transaction,
): Promise<void> {
  await rt.models.MfaBackupCode.destroy({ where: { user_id: userId }, transaction });
  await rt.models.MfaBackupCode.bulkCreate(
    codes.map((code) => ({
      id: rt.snowflake.next(),
      user_id: userId,
      code_hash: hashToken(normalizeBackupCode(code)),
    })),
    { transaction },
  );
}

/**
 * Spends a backup code (a conditional UPDATE: of concurrent uses, one wins; in `transaction`, once
 * it commits); false when it is not one of the user's unused codes.
 */
export async function useBackupCode(
  rt: Runtime,
  userId: string,
  code: string,
  transaction?: Transaction,
): Promise<boolean> {
  const normalized = normalizeBackupCode(code);
  if (normalized.length !== 10) return false;
  const used = await rt.sequelize.query(
    `UPDATE mfa_backup_codes SET used_at = now()
      WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id`,
    { bind: [userId, hashToken(normalized)], type: QueryTypes.SELECT, transaction },
  );
  return used.length > 0;
}

/**
 * Checks a second factor: a TOTP code (spent or only checked, as `use` says) or a backup code
 * (always spent; in the use's transaction, if given).
 */
export async function verifySecondFactor(
  rt: Runtime,
  box: SecretBox,
  user: Attributes<'User'>,
  code: string,
  use: CodeUse,
): Promise<'totp' | 'backup' | null> {
  if (!user.mfa_enabled || !user.mfa_secret) return null;
  const trimmed = code.trim();
  if (/^\d{6}$/.test(trimmed))
    return (await verifyTotp(rt, user, box.open(user.mfa_secret), trimmed, use)) ? 'totp' : null;
  const transaction = use.spend ? use.transaction : undefined;
  return (await useBackupCode(rt, user.id, trimmed, transaction)) ? 'backup' : null;
}
