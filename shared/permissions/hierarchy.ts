import { ApiError, NotFoundError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { MemberFacts } from './compute.js';
import { loadMemberFacts, type ServerPolicy } from './policy.js';

/** 403: the caller tried to manage a role at or above their own highest role. */
export function roleHierarchyError(): ApiError {
  return new ApiError(403, 'role_hierarchy', 'You can only manage roles strictly below your highest role');
}

/** 403: the caller tried to act on a member whose highest role is at or above theirs (or the owner). */
export function memberHierarchyError(targetIsOwner: boolean): ApiError {
  return new ApiError(
    403,
    'member_hierarchy',
    targetIsOwner
      ? 'The server owner cannot be kicked, banned, timed out, muted, moved or edited by others'
      : 'You can only act on members whose highest role is strictly below yours',
  );
}

/** Throws 403 unless the caller strictly outranks `target` (the owner never is outranked). */
export function requireOutranks(policy: ServerPolicy, target: MemberFacts): void {
  if (!policy.outranksMember(target)) throw memberHierarchyError(target.userId === policy.server.owner_id);
}

/** Throws 403 unless the caller strictly outranks the role at `position`. */
export function requireOutranksRole(policy: ServerPolicy, position: number): void {
  if (!policy.outranksRole(position)) throw roleHierarchyError();
}

/** The target member's facts, or 404 `unknown_member`. */
export async function requireMemberFacts(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  userId: string,
): Promise<MemberFacts> {
  const loaded = await loadMemberFacts(rt.models, serverId, userId);
  if (!loaded) throw new NotFoundError('member');
  return loaded.facts;
}
