import Joi from 'joi';
import { emojiProblem } from '../../messages/emoji.js';
import { attachmentObject } from '../attachments/attachments.js';
import { pagination, snowflake } from '../common-schemas.js';
import { EMBED_LIMITS, messageContent as content, richEmbed } from '../../../shared/messages/schema.js';

export {
  EMBED_LIMITS,
  MAX_CONTENT_LENGTH,
  httpUrl,
  richEmbed,
  type RichEmbedInput,
} from '../../../shared/messages/schema.js';

export const channelParams = Joi.object({ channel_id: snowflake().required() });
export const messageParams = Joi.object({
  channel_id: snowflake().required(),
  message_id: snowflake().required(),
});

const nonEmptyArray = Joi.array().min(1).required();
const optionalContent = Joi.alternatives().try(Joi.string().valid(''), content());

export const sendBody = Joi.object({
  // Text, files or embeds, in any mix: without attachments or embeds the content is required.
  content: Joi.when('attachments', {
    is: nonEmptyArray,
    then: optionalContent,
    otherwise: Joi.when('embeds', {
      is: nonEmptyArray,
      then: optionalContent,
      otherwise: content().required(),
    }),
  }),
  embeds: Joi.array()
    .max(EMBED_LIMITS.count)
    .items(richEmbed)
    .description(
      'up to 10 rich embeds, validated as for webhooks and stored with `type: "rich"`; needs EMBED_LINKS',
    ),
  attachments: Joi.array()
    .items(
      Joi.alternatives().try(
        snowflake(),
        // The attachment objects POST /attachments answered (or Discord's `{id}` partials): their ids.
        Joi.object({ id: snowflake().required() })
          .unknown(true)
          .custom((value: { id: string }) => value.id),
      ),
    )
    .unique()
    .max(50)
    .description(
      'your uploads (POST /attachments, not yet in a message): their ids, or the attachment objects as answered; needs ATTACH_FILES. With multipart, files sent along are added',
    ),
  nonce: Joi.alternatives()
    .try(
      Joi.string().max(64),
      Joi.number()
        .integer()
        .unsafe()
        // Answered as sent; past 2^53 the digits are no longer exact in JSON clients: a string.
        .custom((n: number) => (Number.isSafeInteger(n) ? n : String(n))),
    )
    .description(
      'client-chosen; the same nonce from the same author in the same channel within 5 minutes returns the same message',
    ),
  reply_to: snowflake().description('a message in the same channel'),
});

export const editBody = Joi.object({ content: content().required() });

export const historyQuery = Joi.object(pagination);

export const reactionObject = Joi.object({
  emoji: Joi.string().required().description('a unicode emoji, or a custom emoji as `name:id`'),
  count: Joi.number().integer().min(1).required(),
  me: Joi.boolean()
    .required()
    .description('whether the caller reacted with it (always false in gateway payloads)'),
}).meta({ className: 'Reaction' });

export const linkEmbedObject = Joi.object({
  type: Joi.string().valid('link').required(),
  url: Joi.string().required().description('the page (its canonical URL when on the same site)'),
  title: Joi.string().allow(null).required(),
  description: Joi.string().allow(null).required(),
  site_name: Joi.string().allow(null).required(),
  color: Joi.number().integer().allow(null).required().description("the page's theme-color as 0xRRGGBB"),
  image: Joi.object({
    url: Joi.string().required().description("the image through this instance's media proxy (GET /proxy)"),
    original_url: Joi.string().required(),
  })
    .allow(null)
    .required(),
})
  .description('a link preview, made by the embeds worker after the message was stored')
  .meta({ className: 'LinkEmbed' });

export const messageObject = Joi.object({
  id: Joi.string().required(),
  channel_id: Joi.string().required(),
  author_id: Joi.string().required(),
  type: Joi.string().required(),
  content: Joi.string().allow('').required(),
  content_html: Joi.string().allow('').required(),
  nonce: Joi.alternatives(Joi.string().allow(null), Joi.number().integer())
    .required()
    .description('as sent: a string or an integer'),
  created_at: Joi.number().integer().required(),
  edited_at: Joi.number().integer().allow(null).required(),
  attachments: Joi.array().items(attachmentObject).required(),
  embeds: Joi.array()
    .items(
      linkEmbedObject,
      Joi.object({ type: Joi.string().valid('rich').required() })
        .unknown(true)
        .meta({ className: 'RichEmbed' })
        .description('sent by a webhook: title, description, url, color, fields'),
    )
    .required(),
  pinned: Joi.boolean().required(),
  mentions: Joi.array().items(Joi.string()).required(),
  mention_roles: Joi.array().items(Joi.string()).required(),
  mention_everyone: Joi.boolean().required(),
  reply_to: Joi.string().allow(null).required(),
  reactions: Joi.array()
    .items(reactionObject)
    .required()
    .description('one entry per emoji, in the order each was first added'),
  thread_id: Joi.string()
    .allow(null)
    .required()
    .description('the thread this message started (for a `thread_created` notice: the new thread)'),
  webhook_id: Joi.string().allow(null).required().description('the incoming webhook that posted it'),
  author: Joi.object({
    id: Joi.string().required(),
    username: Joi.string().required(),
    avatar_url: Joi.string().allow(null).required(),
    bot: Joi.boolean().valid(true).required(),
  })
    .meta({ className: 'WebhookAuthor' })
    .description('webhook messages only: show this instead of the author (`id` is the webhook’s)'),
  interaction: Joi.object({
    id: Joi.string().required(),
    name: Joi.string().required(),
    user_id: Joi.string().required(),
  })
    .meta({ className: 'MessageInteraction' })
    .description('a bot’s answer to a slash command only: the interaction (id, command name, invoker)'),
  flags: Joi.array()
    .items(Joi.string().valid('ephemeral'))
    .description('`["ephemeral"]`: an interaction answer shown to the invoking user alone, never stored'),
}).meta({ className: 'Message' });

export const pendingMessage = Joi.object({
  id: Joi.string().required(),
  channel_id: Joi.string().required(),
  nonce: Joi.alternatives(Joi.string().allow(null), Joi.number().integer())
    .required()
    .description('as sent: a string or an integer'),
  pending: Joi.boolean().valid(true).required(),
}).meta({ className: 'PendingMessage' });

// Reactions, pins, bulk delete, search (routes in reactions.ts, pins.ts, bulk-delete.ts, search.ts).

export const reactionParams = messageParams.keys({
  emoji: Joi.string()
    .required()
    .custom((value: string, helpers) => {
      const problem = emojiProblem(value);
      return problem ? helpers.error('any.invalid', { problem }) : value;
    })
    .messages({ 'any.invalid': '{{#label}} {#problem}' })
    .description('URL-encoded: a unicode emoji (1-64 code points) or a custom emoji as `name:id`'),
});
export const userReactionParams = reactionParams.keys({ user_id: snowflake().required() });

export const reactionUsersQuery = Joi.object({
  // API.md's pagination default (50) holds here too, not Discord's 25 for this list.
  limit: pagination.limit,
  after: snowflake().description('a user id: users with greater ids, oldest first (ascending)'),
  before: snowflake().description(
    'a user id: users with smaller ids, newest first (descending) unless `after` is given too',
  ),
});

export const pinParams = messageParams;

export const bulkDeleteBody = Joi.object({
  messages: Joi.array()
    .items(snowflake())
    .min(2)
    .max(100)
    .unique()
    .required()
    .description('2-100 distinct message ids; ids of messages not in this channel are ignored'),
});

/** `has` values of message search: API.md names the filter, Discord's values are what users know. */
export const SEARCH_HAS = ['link', 'file', 'embed', 'image', 'video', 'sound'] as const;
export type SearchHas = (typeof SEARCH_HAS)[number];

export const searchParams = Joi.object({ server_id: snowflake().required() });
export const searchQuery = Joi.object({
  content: Joi.string()
    .trim()
    .min(1)
    .max(512)
    .description('full-text words; "quoted phrases", `or` and `-excluded` words work as in web search'),
  author_id: snowflake(),
  channel_id: snowflake(),
  has: Joi.array()
    .items(Joi.string().valid(...SEARCH_HAS))
    .single()
    .unique()
    .description(
      'repeatable; every value given must hold: link (an http(s) URL in the content), file, embed, ' +
        'image, video, sound (an attachment of that type)',
    ),
  ...pagination,
});

export const searchResult = Joi.object({
  total_results: Joi.number()
    .integer()
    .min(0)
    .required()
    .description('every match of the filters, whatever the cursor'),
  messages: Joi.array().items(messageObject).required(),
}).meta({ className: 'MessageSearchResult' });
