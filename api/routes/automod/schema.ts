import Joi from 'joi';
import { AUTOMOD_TRIGGERS } from '../../../shared/automod/rules.js';
import { snowflake } from '../common-schemas.js';

/** Longest AutoMod timeout: 28 days. */
const MAX_TIMEOUT_SECONDS = 28 * 86_400;

/**
 * The settings of each trigger type: the create schema switches on it, PATCH validates with it.
 * Discord's names are taken too (`trigger_metadata` for `trigger`, `keyword_filter`,
 * `regex_patterns`, `mention_total_limit`), as bot authors know them; rules are answered in ours.
 */
export const triggerSchemas = {
  keyword: Joi.object({
    keywords: Joi.array().items(Joi.string().trim().min(1).max(60)).min(1).max(1000).required(),
    allow_list: Joi.array().items(Joi.string().trim().min(1).max(60)).max(100).default([]),
  }).rename('keyword_filter', 'keywords'),
  regex: Joi.object({
    patterns: Joi.array().items(Joi.string().min(1).max(260)).min(1).max(10).required(),
  }).rename('regex_patterns', 'patterns'),
  mention_spam: Joi.object({ mention_limit: Joi.number().integer().min(1).max(50).required() }).rename(
    'mention_total_limit',
    'mention_limit',
  ),
  link: Joi.object({
    allowed_domains: Joi.array().items(Joi.string().hostname().lowercase()).max(100).default([]),
    invites_only: Joi.boolean().default(false),
  }),
  spam: Joi.object({
    max_messages: Joi.number().integer().min(1).max(100).required(),
    window_seconds: Joi.number().integer().min(1).max(600).required(),
  }),
} as const;

const action = Joi.alternatives().conditional('.type', {
  switch: [
    { is: 'block', then: Joi.object({ type: Joi.string().valid('block').required() }) },
    {
      is: 'alert',
      then: Joi.object({
        type: Joi.string().valid('alert').required(),
        channel_id: snowflake().required().description('a text channel of the server'),
      }),
    },
    {
      is: 'timeout',
      then: Joi.object({
        type: Joi.string().valid('timeout').required(),
        duration_seconds: Joi.number().integer().min(1).max(MAX_TIMEOUT_SECONDS).required(),
      }),
    },
  ],
  otherwise: Joi.object({ type: Joi.string().valid('block', 'alert', 'timeout').required() }).unknown(),
});

const actions = Joi.array().items(action).min(1).max(3).unique('type');
const exemptRoles = Joi.array().items(snowflake()).max(20).unique();
const exemptChannels = Joi.array().items(snowflake()).max(50).unique();
const name = Joi.string().trim().min(1).max(100);

export const createRuleBody = Joi.object({
  name: name.required(),
  enabled: Joi.boolean().default(true),
  trigger_type: Joi.string()
    // API.md spells it "mention-spam": taken and stored as mention_spam.
    .replace(/^mention-spam$/, 'mention_spam')
    .valid(...AUTOMOD_TRIGGERS)
    .required()
    .description('`mention-spam` is taken for `mention_spam`'),
  trigger: Joi.when('trigger_type', {
    switch: Object.entries(triggerSchemas).map(([is, then]) => ({ is, then: then.required() })),
  }),
  actions: actions.required(),
  exempt_roles: exemptRoles.default([]),
  exempt_channels: exemptChannels.default([]),
}).rename('trigger_metadata', 'trigger');

export const patchRuleBody = Joi.object({
  name,
  enabled: Joi.boolean(),
  trigger: Joi.object()
    .unknown()
    .description('the settings of the rule’s trigger_type (which cannot change)'),
  actions,
  exempt_roles: exemptRoles,
  exempt_channels: exemptChannels,
})
  .rename('trigger_metadata', 'trigger')
  .min(1);

export const ruleParams = Joi.object({ server_id: snowflake().required(), rule_id: snowflake().required() });

export const ruleObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.string().required(),
  creator_id: Joi.string().required(),
  name: Joi.string().required(),
  enabled: Joi.boolean().required(),
  trigger_type: Joi.string()
    .valid(...AUTOMOD_TRIGGERS)
    .required(),
  trigger: Joi.object().required(),
  actions: Joi.array().items(Joi.object()).required(),
  exempt_roles: Joi.array().items(Joi.string()).required(),
  exempt_channels: Joi.array().items(Joi.string()).required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'AutomodRule' });
