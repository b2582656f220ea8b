import { DataTypes } from 'sequelize';

// Functions, not shared constants: Sequelize writes into each attribute definition it is given
// (field names), so one object reused across models corrupts them.

/** A snowflake primary key (bigint; pg hands it to JS as a decimal string). */
export const snowflakeId = () => ({ type: DataTypes.BIGINT, primaryKey: true });

/** created_at is set from the row's snowflake by whoever creates it, so it agrees with the id. */
export const createdAt = () => ({ type: DataTypes.DATE, allowNull: false });

/** Tables with an updated_at column that Sequelize maintains. */
export const updatedAtOptions = { createdAt: false, updatedAt: 'updated_at' } as const;

/** A nullable column of `type` defaulting to null. */
export function nullable<T>(type: T) {
  return { type, allowNull: true, defaultValue: null };
}
