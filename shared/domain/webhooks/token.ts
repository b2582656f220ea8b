import crypto from 'node:crypto';
import { SecretBox } from '../../auth/secret-box.js';
import { generateToken, hashToken } from '../../auth/tokens.js';
import type { Config } from '../../config/index.js';
import type { Row } from '../../db/models/index.js';
import type { Runtime } from '../../runtime.js';

type KeyConfig = Pick<Config, 'security' | 'data_dir'>;

/** The box that seals incoming webhook tokens: its own key, derived from the instance secret. */
export function webhookTokenBox(config: KeyConfig): SecretBox {
  return SecretBox.forPurpose(config, 'incoming-webhook-token');
}

/**
 * A new token and the two columns that keep it: its SHA-256 (what executing checks) and its sealed
 * copy (what the managers' lists open; API.md lists `{id, token, url}`).
 */
export function newWebhookToken(config: KeyConfig): {
  token: string;
  columns: { token_hash: Buffer; sealed_token: string };
} {
  const token = generateToken();
  return {
    token,
    columns: { token_hash: hashToken(token), sealed_token: webhookTokenBox(config).seal(token) },
  };
}

/**
 * The token of a stored webhook, or null when it has no sealed copy (created before migration 0028:
 * regenerating the token gives it one), when the copy does not open (the instance key changed), or
 * when it is not the token the hash verifies: a listed token always executes.
 */
export function openWebhookToken(rt: Pick<Runtime, 'config' | 'logger'>, row: Row<'Webhook'>): string | null {
  if (row.sealed_token === null) return null;
  let token: string;
  try {
    token = webhookTokenBox(rt.config).open(row.sealed_token);
  } catch {
    rt.logger.warn({ webhook_id: row.id }, 'a webhook token does not open under the instance key');
    return null;
  }
  const hash = hashToken(token);
  if (hash.length !== row.token_hash.length || !crypto.timingSafeEqual(hash, row.token_hash)) {
    rt.logger.warn({ webhook_id: row.id }, 'a sealed webhook token does not match its hash');
    return null;
  }
  return token;
}
