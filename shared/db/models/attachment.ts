import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** What the media worker found out about an upload. */
export interface AttachmentMetadata {
  /** Storage key of a WebP thumbnail (images). */
  thumbnail_key?: string;
  /** Dominant color as `#rrggbb` (images). */
  color?: string;
  /** Frames of an animated image. */
  frames?: number;
  /** Audio/video codec as the container names it. */
  codec?: string;
  /** Why processing gave up (the file is still served as is). */
  error?: string;
}

/** Defines the `attachments` model: uploaded files, bound to a message once sent. */
export function defineAttachment(sequelize: Sequelize) {
  class Attachment extends Model<InferAttributes<Attachment>, InferCreationAttributes<Attachment>> {
    declare id: string;
    declare uploader_id: string;
    declare message_id: CreationOptional<string | null>;
    declare channel_id: CreationOptional<string | null>;
    declare filename: string;
    declare content_type: string;
    declare size: number;
    declare storage_key: string;
    declare status: CreationOptional<'processing' | 'ready' | 'failed'>;
    declare width: CreationOptional<number | null>;
    declare height: CreationOptional<number | null>;
    declare duration_seconds: CreationOptional<number | null>;
    declare metadata: CreationOptional<AttachmentMetadata>;
    declare created_at: Date;
  }
  Attachment.init(
    {
      id: snowflakeId(),
      uploader_id: { type: DataTypes.BIGINT, allowNull: false },
      message_id: nullable(DataTypes.BIGINT),
      channel_id: nullable(DataTypes.BIGINT),
      filename: { type: DataTypes.STRING(255), allowNull: false },
      content_type: { type: DataTypes.STRING(255), allowNull: false },
      size: {
        type: DataTypes.BIGINT,
        allowNull: false,
        // bigint comes back from pg as a string; sizes stay far below 2^53.
        get(this: Model) {
          return Number(this.getDataValue('size'));
        },
      },
      storage_key: { type: DataTypes.STRING(512), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'processing' },
      width: nullable(DataTypes.INTEGER),
      height: nullable(DataTypes.INTEGER),
      duration_seconds: nullable(DataTypes.DOUBLE),
      metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      created_at: createdAt(),
    },
    { sequelize, tableName: 'attachments', modelName: 'Attachment', timestamps: false },
  );
  return Attachment;
}
