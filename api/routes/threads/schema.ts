import Joi from 'joi';
import { AUTO_ARCHIVE_MINUTES } from '../../../shared/db/models/index.js';
import { snowflake, userObject } from '../common-schemas.js';
import { channelObject } from '../channels/schema.js';

export const threadIdParams = Joi.object({ thread_id: snowflake().required() });
export const parentParams = Joi.object({ channel_id: snowflake().required() });
export const starterParams = Joi.object({
  channel_id: snowflake().required(),
  message_id: snowflake().required(),
});

const autoArchiveMinutes = () =>
  Joi.number()
    .integer()
    .valid(...AUTO_ARCHIVE_MINUTES)
    .description('minutes without a message after which the thread archives itself (default 1440)');

export const startFromMessageBody = Joi.object({
  name: Joi.string().trim().min(1).max(100).required(),
  auto_archive_minutes: autoArchiveMinutes(),
});

export const startThreadBody = startFromMessageBody.keys({
  type: Joi.string()
    .valid('public_thread', 'private_thread')
    .default('public_thread')
    .description(
      'a private thread is seen only by its members (added with PUT .../thread-members/{user_id}) and by ' +
        'those with MANAGE_THREADS',
    ),
});

export const memberParams = Joi.object({
  thread_id: snowflake().required(),
  user_id: snowflake().required(),
});

export const listThreadsQuery = Joi.object({
  archived: Joi.boolean().default(false).description('archived threads instead of active ones'),
  before: snowflake().description('threads older than this thread id'),
  limit: Joi.number().integer().min(1).max(100).default(50),
});

export const threadMembersQuery = Joi.object({
  after: snowflake().description('members whose user id is greater'),
  limit: Joi.number().integer().min(1).max(100).default(50),
});

export const threadObject = channelObject
  .keys({
    thread_metadata: Joi.object({
      owner_id: Joi.string().allow(null).required(),
      starter_message_id: Joi.string().allow(null).required(),
      archived: Joi.boolean().required(),
      archived_at: Joi.number().integer().allow(null).required(),
      auto_archive_minutes: Joi.number().integer().required(),
      locked: Joi.boolean().required(),
      message_count: Joi.number().integer().required(),
      member_count: Joi.number().integer().required(),
    })
      .required()
      .meta({ className: 'ThreadMetadata' }),
  })
  .meta({ className: 'Thread' });

export const threadMemberObject = Joi.object({
  thread_id: Joi.string().required(),
  user_id: Joi.string().required(),
  joined_at: Joi.number().integer().required(),
  user: userObject,
}).meta({ className: 'ThreadMember' });
