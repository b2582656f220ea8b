import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import type { TriggerSettings } from '../../../shared/automod/rules.js';
import { createRule } from '../../../shared/domain/automod/create.js';
import { deleteRule } from '../../../shared/domain/automod/delete.js';
import {
  MAX_RULES_PER_SERVER,
  type RuleInput,
  type RulePatch,
} from '../../../shared/domain/automod/rules.js';
import { updateRule } from '../../../shared/domain/automod/update.js';
import { listRules } from '../../automod/rule-reads.js';
import { validatePart } from '../../middleware/validate.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { serverIdParams } from '../servers/schema.js';
import { createRuleBody, patchRuleBody, ruleObject, ruleParams, triggerSchemas } from './schema.js';

/** New trigger settings checked against the joi schema of the rule's trigger type. */
const validateTrigger = (type: RuleInput['trigger_type'], trigger: unknown): TriggerSettings =>
  validatePart(triggerSchemas[type] as Joi.ObjectSchema<TriggerSettings>, trigger, 'body');

type ServerParams = { server_id: string };
type RuleParams = ServerParams & { rule_id: string };

const TRIGGERS =
  '`keyword` `{keywords, allow_list?}` (whole words, any case, `*` a wildcard within a word), `regex` ' +
  '`{patterns}` (RE2 syntax: linear time, so no backreferences or lookaround; refused with 400 naming ' +
  '`trigger.patterns.N`), `mention_spam` `{mention_limit}` (distinct user and role mentions, @everyone/@here ' +
  'counting one), `link` `{allowed_domains?, invites_only?}`, `spam` `{max_messages, window_seconds}` (new ' +
  'messages per member). Actions: `block` (the message is never stored; the sender gets 400 ' +
  '`automod_blocked` naming the rule), `alert` `{channel_id}` (a notice in that text channel), `timeout` ' +
  '`{duration_seconds}` (up to 28 days). Members with MANAGE_SERVER, `exempt_roles` and `exempt_channels` ' +
  '(a channel covers its threads) are not screened. Discord’s names are taken too: `trigger_metadata` for ' +
  '`trigger`, `keyword_filter`, `regex_patterns` and `mention_total_limit` for `keywords`, `patterns` and ' +
  '`mention_limit`.';

/** AutoMod rules of a server (MANAGE_SERVER). */
export function automodRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<ServerParams>({
      method: 'get',
      path: '/servers/{server_id}/automod/rules',
      access: 'user',
      summary: 'A server’s AutoMod rules',
      description: 'Needs MANAGE_SERVER.',
      tags: ['Moderation'],
      params: serverIdParams,
      responses: {
        200: { description: 'The rules, oldest first', schema: Joi.array().items(ruleObject) },
        403: { description: '`missing_permission` (MANAGE_SERVER)' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ params, auth }) => listRules(rt, params.server_id, auth.user.id),
    }),
    defineRoute<ServerParams, Record<string, never>, RuleInput>({
      method: 'post',
      path: '/servers/{server_id}/automod/rules',
      access: 'user',
      summary: 'Create an AutoMod rule',
      description: `Needs MANAGE_SERVER; at most ${MAX_RULES_PER_SERVER} rules per server. Triggers: ${TRIGGERS} Audited as \`automod_rule_create\`.`,
      tags: ['Moderation'],
      status: 201,
      params: serverIdParams,
      body: createRuleBody,
      responses: {
        201: { description: 'The rule', schema: ruleObject },
        400: { description: 'A bad field, named (`trigger.patterns.0`, `actions.1.channel_id`...)' },
        403: { description: '`missing_permission` (MANAGE_SERVER)' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ params, body, auth, req }) =>
        createRule(rt, params.server_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<RuleParams, Record<string, never>, RulePatch>({
      method: 'patch',
      path: '/servers/{server_id}/automod/rules/{rule_id}',
      access: 'user',
      summary: 'Edit an AutoMod rule',
      description:
        'Needs MANAGE_SERVER. `trigger` replaces the settings of the rule’s `trigger_type`, which cannot change. ' +
        '`enabled: false` pauses it. Workers pick the change up on the next message. Audited as `automod_rule_update`.',
      tags: ['Moderation'],
      params: ruleParams,
      body: patchRuleBody,
      responses: {
        200: { description: 'The rule', schema: ruleObject },
        400: { description: 'A bad field, named' },
        403: { description: '`missing_permission` (MANAGE_SERVER)' },
        404: { description: '`unknown_server` or `unknown_automod_rule`' },
      },
      handler: ({ params, body, auth, req }) =>
        updateRule(
          rt,
          params.server_id,
          params.rule_id,
          auth.user.id,
          body,
          auditReason(req),
          validateTrigger,
        ),
    }),
    defineRoute<RuleParams>({
      method: 'delete',
      path: '/servers/{server_id}/automod/rules/{rule_id}',
      access: 'user',
      summary: 'Delete an AutoMod rule',
      description: 'Needs MANAGE_SERVER. Audited as `automod_rule_delete`.',
      tags: ['Moderation'],
      status: 204,
      params: ruleParams,
      responses: {
        204: { description: 'Deleted' },
        403: { description: '`missing_permission` (MANAGE_SERVER)' },
        404: { description: '`unknown_server` or `unknown_automod_rule`' },
      },
      handler: async ({ params, auth, req }) => {
        await deleteRule(rt, params.server_id, params.rule_id, auth.user.id, auditReason(req));
      },
    }),
  ];
}
