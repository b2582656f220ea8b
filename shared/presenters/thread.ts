import type { Config } from '../config/index.js';
import type { Attributes, Row } from '../db/models/index.js';
import { channelFields } from './server.js';
import { unixSeconds } from './time.js';
import type { ChannelObject, UserObject } from './types.js';
import { presentUser } from './user.js';

/** What a thread carries beyond the channel fields. */
export interface ThreadMetadataObject {
  owner_id: string | null;
  /** The message the thread was started from (null for a thread started without one). */
  starter_message_id: string | null;
  archived: boolean;
  archived_at: number | null;
  auto_archive_minutes: number;
  locked: boolean;
  message_count: number;
  member_count: number;
}

/** A thread: a channel whose parent_id is the text channel it lives in, plus its metadata. */
export interface ThreadObject extends ChannelObject {
  thread_metadata: ThreadMetadataObject;
}

/** One member of a thread. */
export interface ThreadMemberObject {
  thread_id: string;
  user_id: string;
  joined_at: number;
  user?: UserObject;
}

/** The API's thread object for a thread channel and its metadata row. */
export function presentThread(
  channel: Attributes<'Channel'>,
  meta: Attributes<'ThreadMetadata'>,
): ThreadObject {
  return {
    ...channelFields(channel),
    thread_metadata: {
      owner_id: meta.owner_id,
      starter_message_id: meta.starter_message_id,
      archived: meta.archived,
      archived_at: unixSeconds(meta.archived_at),
      auto_archive_minutes: meta.auto_archive_minutes,
      locked: meta.locked,
      message_count: meta.message_count,
      member_count: meta.member_count,
    },
  };
}

/** A thread member; with the user row, also the public user object. */
export function presentThreadMember(
  config: Pick<Config, 'server'>,
  row: Row<'ThreadMember'>,
  user?: Row<'User'>,
): ThreadMemberObject {
  const object: ThreadMemberObject = {
    thread_id: row.thread_id,
    user_id: row.user_id,
    joined_at: unixSeconds(row.joined_at),
  };
  if (user) object.user = presentUser(config, user);
  return object;
}
