import Joi from 'joi';
import type { UpdateApplicationInput } from '../../../shared/domain/applications/applications.js';
import { PRIVILEGED_INTENT_NAMES } from '../../../shared/intents.js';
import { selfUserObject, snowflake, userObject } from '../common-schemas.js';
import { memberObject, permissionsField, roleObject } from '../roles/schema.js';
import { redirectUrisBody } from '../oauth2/schema.js';

const httpUrl = () =>
  Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .max(2048);

const name = () => Joi.string().trim().min(1).max(80);
const description = () => Joi.string().trim().max(400).allow('');

/** The OAuth2 redirect URIs, also settable here (PUT /applications/{id}/oauth2/redirect-uris). */
const redirectUris = redirectUrisBody.extract('redirect_uris').optional();

export const applicationParams = Joi.object({ app_id: snowflake().required() });

export interface CreateApplicationBody {
  name: string;
  description?: string;
  redirect_uris?: string[];
}

export const createApplicationBody = Joi.object<CreateApplicationBody>({
  name: name().required().description('1-80 characters; the bot’s username is derived from it'),
  description: description(),
  redirect_uris: redirectUris,
});

/** The body is the command's input as it stands (shared/domain/applications). */
export type UpdateApplicationBody = UpdateApplicationInput;

export const updateApplicationBody = Joi.object<UpdateApplicationBody>({
  name: name(),
  description: description(),
  icon_url: httpUrl().allow(null),
  public_bot: Joi.boolean().description('whether people other than the owner may add the bot'),
  interactions_url: httpUrl()
    .allow(null)
    .description(
      'where interactions are POSTed (signed); it must resolve to public addresses. null: over the gateway',
    ),
  intents: Joi.array()
    .items(Joi.string().valid(...PRIVILEGED_INTENT_NAMES))
    .unique()
    .description('the complete list of privileged gateway intents to enable, by name; [] turns them all off'),
  redirect_uris: redirectUris,
}).min(1);

export const applicationObject = Joi.object({
  id: Joi.string().required(),
  name: Joi.string().required(),
  description: Joi.string().allow('').required(),
  icon_url: Joi.string().allow(null).required(),
  owner_id: Joi.string().required(),
  bot: userObject.required(),
  public_bot: Joi.boolean().required(),
  intents: Joi.array()
    .items(Joi.string().valid(...PRIVILEGED_INTENT_NAMES))
    .required()
    .description('privileged intents enabled'),
  interactions_url: Joi.string().allow(null).required(),
  redirect_uris: Joi.array().items(Joi.string()).required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'Application' });

export const createdApplicationObject = Joi.object({
  application: applicationObject.required(),
  bot: selfUserObject.required(),
  token: Joi.string().required().description('the bot token (`Authorization: Bot <token>`), shown only here'),
}).meta({ className: 'CreatedApplication' });

export const botTokenObject = Joi.object({
  token: Joi.string()
    .required()
    .description('the new bot token, shown only here; every older one is revoked'),
}).meta({ className: 'BotToken' });

export interface AddBotBody {
  application_id: string;
  permissions?: string;
}

export const addBotBody = Joi.object<AddBotBody>({
  application_id: snowflake().required(),
  permissions: permissionsField().description(
    'permissions of the bot’s managed role (decimal-string bitfield); absent or "0": no role',
  ),
});

export const addedBotObject = Joi.object({
  member: memberObject.required(),
  role: roleObject.allow(null).required().description('the bot’s managed role in the server, if any'),
}).meta({ className: 'AddedBot' });
