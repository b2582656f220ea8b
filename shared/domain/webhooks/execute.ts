import crypto from 'node:crypto';
import { hashToken } from '../../auth/tokens.js';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { richEmbedsJob } from '../../messages/rich-embeds.js';
import type { RichEmbedInput } from '../../messages/schema.js';
import type { CreateMessageJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Executing an incoming webhook: who it is (its id and token) and the message it posts. The
 * message is stored by the messages worker like any other (the API queues the job and, with
 * `?wait=true`, waits for it); nothing else changes.
 */

/** What an execution may carry (validated by executeBody). */
export interface ExecuteInput {
  content?: string;
  username?: string;
  avatar_url?: string;
  embeds?: RichEmbedInput[];
}

/** Compared against when the webhook does not exist, so both failures take the same work. */
const DUMMY_HASH = hashToken('no-such-webhook');

/**
 * The webhook whose id and token these are. Unknown id, deleted webhook and wrong token are all the
 * same 404 `unknown_webhook`; the hashes are compared in constant time.
 */
export async function authenticateWebhook(
  rt: Pick<Runtime, 'models'>,
  webhookId: string,
  token: string,
): Promise<Row<'Webhook'>> {
  const row = await rt.models.Webhook.findByPk(webhookId);
  const given = hashToken(token);
  const expected = row?.token_hash ?? DUMMY_HASH;
  const same = expected.length === given.length && crypto.timingSafeEqual(expected, given);
  if (!row || !same) throw new NotFoundError('webhook');
  return row;
}

/**
 * The create job of a webhook message. It is stored under the webhook's creator (messages need a
 * user as author) with `webhook_id` and the name/avatar to show set. Mentions work as for a member
 * without MENTION_EVERYONE; link previews are made as for members with EMBED_LINKS.
 */
export function webhookMessageJob(
  rt: Pick<Runtime, 'snowflake'>,
  webhook: Row<'Webhook'>,
  input: ExecuteInput,
): CreateMessageJob {
  return {
    kind: 'create',
    message: {
      id: rt.snowflake.next(),
      channel_id: webhook.channel_id,
      author_id: webhook.creator_id,
      content: input.content ?? '',
      nonce: null,
      allow_everyone: false,
      embed_links: true,
      webhook_id: webhook.id,
      webhook_author: {
        username: input.username ?? webhook.name,
        avatar_url: input.avatar_url ?? webhook.avatar_url,
      },
      ...richEmbedsJob(input.embeds),
    },
  };
}
