import { serverObject } from '../../shared/domain/members/join.js';
import type { ServerObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';

/** The server object as a member sees it (with its member count), or 404 `notFound`. */
export function joinedServer(rt: Runtime, serverId: string, notFound = 'server'): Promise<ServerObject> {
  return serverObject(rt, serverId, undefined, notFound);
}
