import type { Migration } from './types.js';

/**
 * Voice and stage: stage channels, a voice channel's user limit and bitrate, and a member's server
 * mute / deafen (kept on the member, as in Discord, so leaving and rejoining does not lift them).
 * Voice states themselves are live data and live in Redis (shared/voice-chat/states.ts).
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE channels DROP CONSTRAINT IF EXISTS channels_channel_type_check;
    ALTER TABLE channels ADD CONSTRAINT channels_channel_type_check
      CHECK (channel_type IN ('text', 'voice', 'stage', 'category', 'dm', 'notes', 'public_thread', 'private_thread'));
    -- 0: no limit.
    ALTER TABLE channels ADD COLUMN user_limit integer NOT NULL DEFAULT 0 CHECK (user_limit BETWEEN 0 AND 99);
    -- Bits per second a client should encode voice at (clients read it; the SFU forwards what it gets).
    ALTER TABLE channels ADD COLUMN bitrate integer NOT NULL DEFAULT 64000 CHECK (bitrate BETWEEN 8000 AND 384000);
    ALTER TABLE members ADD COLUMN mute boolean NOT NULL DEFAULT false;
    ALTER TABLE members ADD COLUMN deaf boolean NOT NULL DEFAULT false;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DELETE FROM channels WHERE channel_type = 'stage';
    ALTER TABLE channels DROP CONSTRAINT IF EXISTS channels_channel_type_check;
    ALTER TABLE channels ADD CONSTRAINT channels_channel_type_check
      CHECK (channel_type IN ('text', 'voice', 'category', 'dm', 'notes', 'public_thread', 'private_thread'));
    ALTER TABLE channels DROP COLUMN IF EXISTS user_limit;
    ALTER TABLE channels DROP COLUMN IF EXISTS bitrate;
    ALTER TABLE members DROP COLUMN IF EXISTS mute;
    ALTER TABLE members DROP COLUMN IF EXISTS deaf;
  `);
};
