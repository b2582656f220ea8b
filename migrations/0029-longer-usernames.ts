import type { Migration } from './types.js';

/**
 * Usernames may be up to 64 characters (were 32): clients and scripts name accounts with a UUID
 * or a timestamp and a suffix, which 32 refused. Widening a varchar rewrites neither the table nor
 * the indexes on it. Down narrows only when every name still fits.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE users ALTER COLUMN username TYPE varchar(64);
    ALTER TABLE username_reservations ALTER COLUMN username_lower TYPE varchar(64);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE users ALTER COLUMN username TYPE varchar(32);
    ALTER TABLE username_reservations ALTER COLUMN username_lower TYPE varchar(32);
  `);
};
