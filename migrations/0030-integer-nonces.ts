import type { Migration } from './types.js';

/**
 * A message's nonce comes back with the type it was sent with (Discord echoes an integer nonce as
 * an integer): the text column keeps its digits, this flag its type. A constant default adds the
 * column without rewriting the table.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query('ALTER TABLE messages ADD COLUMN nonce_is_integer boolean NOT NULL DEFAULT false');
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query('ALTER TABLE messages DROP COLUMN nonce_is_integer');
};
