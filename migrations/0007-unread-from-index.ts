import type { Migration } from './types.js';

/**
 * channels.last_message_id goes: keeping it meant every new message updated its channel's row
 * inside the message's transaction, which serialized all writers of a busy channel. Unread state
 * now probes messages (channel_id, id) directly, an index lookup per channel.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`ALTER TABLE channels DROP COLUMN IF EXISTS last_message_id;`);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE channels ADD COLUMN last_message_id bigint;
    UPDATE channels c SET last_message_id = (SELECT max(m.id) FROM messages m WHERE m.channel_id = c.id);
  `);
};
