import type { Migration } from './types.js';

/**
 * Incoming webhooks keep a sealed copy of their token (shared/presenters/webhook.ts,
 * `webhookTokenBox`) so that GET /channels/{id}/webhooks and /servers/{id}/webhooks can show it to
 * managers, as API.md's `{id, token, url}` and Discord do. `token_hash` stays the only thing the
 * execute route checks. Webhooks created before this have none (null) until their token is
 * regenerated: the token itself was never stored, so there is nothing to seal here.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`ALTER TABLE webhooks ADD COLUMN IF NOT EXISTS sealed_token text;`);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`ALTER TABLE webhooks DROP COLUMN IF EXISTS sealed_token;`);
};
