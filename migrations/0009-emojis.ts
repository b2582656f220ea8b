import type { Migration } from './types.js';

/**
 * Custom emoji of a server. The image is stored twice: a 128x128 WebP (what clients show, the
 * `url`) and a PNG, or an animated GIF for animated emoji, for clients without (animated) WebP.
 * Names are unique per server regardless of case, so `:Wave:` and `:wave:` cannot both exist.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE emojis (
      id           bigint PRIMARY KEY,
      server_id    bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      name         varchar(32) NOT NULL CHECK (name ~ '^[A-Za-z0-9_]{2,32}$'),
      animated     boolean NOT NULL DEFAULT false,
      creator_id   bigint REFERENCES users (id) ON DELETE SET NULL,
      webp_key     varchar(512) NOT NULL,
      fallback_key varchar(512) NOT NULL,
      created_at   timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX emojis_server_name_idx ON emojis (server_id, lower(name));
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS emojis;`);
};
