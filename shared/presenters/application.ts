import type { Config } from '../config/index.js';
import type { Row, UserView } from '../db/models/index.js';
import { PRIVILEGED_INTENTS, intentNames, type IntentName } from '../intents.js';
import { unixSeconds } from './time.js';
import type { UserObject } from './types.js';
import { presentUser } from './user.js';

/** A bot application as its owner sees it (never its secrets). */
export interface ApplicationObject {
  id: string;
  name: string;
  description: string;
  icon_url: string | null;
  owner_id: string;
  /** The application's bot user. */
  bot: UserObject;
  /** Whether people other than the owner may add the bot to their servers. */
  public_bot: boolean;
  /** The privileged gateway intents the owner enabled, by name. */
  intents: IntentName[];
  /** Where interactions are POSTed; null: over the gateway (INTERACTION_CREATE). */
  interactions_url: string | null;
  /** OAuth2 redirect URIs the authorization endpoint accepts. */
  redirect_uris: string[];
  created_at: number;
}

/** The application object, with its bot user. */
export function presentApplication(
  config: Pick<Config, 'server'>,
  app: Row<'Application'>,
  bot: UserView,
): ApplicationObject {
  return {
    id: app.id,
    name: app.name,
    description: app.description,
    icon_url: app.icon_url,
    owner_id: app.owner_id,
    bot: presentUser(config, bot),
    public_bot: app.public_bot,
    intents: intentNames(Number(app.intents) & PRIVILEGED_INTENTS),
    interactions_url: app.interactions_url,
    redirect_uris: app.redirect_uris,
    created_at: unixSeconds(app.created_at),
  };
}
