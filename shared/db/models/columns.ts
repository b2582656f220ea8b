import { DataTypes } from 'sequelize';

/** A snowflake primary key (bigint; pg hands it to JS as a decimal string). */
export const snowflakeId = { type: DataTypes.BIGINT, primaryKey: true } as const;

/** created_at is set from the row's snowflake by whoever creates it, so it agrees with the id. */
export const createdAt = { type: DataTypes.DATE, allowNull: false } as const;

/** Tables with an updated_at column that Sequelize maintains. */
export const updatedAtOptions = { createdAt: false, updatedAt: 'updated_at' } as const;

/** A nullable column of `type` defaulting to null. */
export function nullable<T>(type: T) {
  return { type, allowNull: true, defaultValue: null } as const;
}
