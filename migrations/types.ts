import type { Sequelize } from 'sequelize';
import type { MigrationFn } from 'umzug';

/** A migration step; `context` is the Sequelize instance (raw SQL keeps the schema explicit). */
export type Migration = MigrationFn<Sequelize>;
