import type { Runtime } from '../../shared/runtime.js';
import type { ApiServices } from '../services.js';
import { auditLogRoutes } from './audit-logs/audit-logs.js';
import { inviteRoutes } from './invites/invites.js';
import { memberRoutes } from './members/members.js';
import { roleRoutes } from './roles/roles.js';
import type { AnyRoute } from './route.js';

/** Roles, members, bans, invites and the audit log of servers. */
export function membershipRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  return [...roleRoutes(rt), ...memberRoutes(rt), ...inviteRoutes(rt, services), ...auditLogRoutes(rt)];
}
