import type { Row } from '../../shared/db/models/index.js';
import {
  effectiveServerCommands,
  manageableApplication,
  scopeWhere,
  type CommandActor,
} from '../../shared/domain/interactions/commands.js';
import type { CommandOption } from '../../shared/db/models/index.js';
import { ServerPolicy } from '../../shared/permissions/index.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import type { Runtime } from '../../shared/runtime.js';
import type { AuthContext } from '../auth/context.js';

/** The caller as the manager of an application's commands. */
export function commandActor(auth: AuthContext): CommandActor {
  return { userId: auth.user.id, bot: auth.kind === 'bot' };
}

/** A slash command as its application and clients see it. */
export interface CommandObject {
  id: string;
  application_id: string;
  server_id: string | null;
  name: string;
  description: string;
  options: CommandOption[];
  created_at: number;
  updated_at: number | null;
}

/** The command object for a stored row. */
export function presentCommand(row: Row<'ApplicationCommand'>): CommandObject {
  return {
    id: row.id,
    application_id: row.application_id,
    server_id: row.server_id,
    name: row.name,
    description: row.description,
    options: row.options,
    created_at: unixSeconds(row.created_at),
    updated_at: unixSeconds(row.updated_at ?? null),
  };
}

/** An application's global (or one server's) commands, by name. */
export async function listApplicationCommands(
  rt: Runtime,
  appId: string,
  serverId: string | null,
  auth: AuthContext,
): Promise<CommandObject[]> {
  const app = await manageableApplication(rt, appId, commandActor(auth));
  const rows = await rt.models.ApplicationCommand.findAll({
    where: scopeWhere(app.id, serverId),
    order: [['name', 'ASC']],
  });
  return rows.map(presentCommand);
}

/** GET /servers/{id}/commands: what the caller's client may offer there (members only). */
export async function listServerCommands(
  rt: Runtime,
  serverId: string,
  userId: string,
): Promise<CommandObject[]> {
  await ServerPolicy.load(rt, serverId, userId);
  return (await effectiveServerCommands(rt, serverId)).map(presentCommand);
}
