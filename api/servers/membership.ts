// The hierarchy checks live in the policy layer (voice moderation and AutoMod use them too); member
// objects in the members domain.
export {
  memberHierarchyError,
  requireMemberFacts,
  requireOutranks,
  roleHierarchyError,
} from '../../shared/permissions/index.js';
export { memberObject, presentMembers, requireUser } from '../../shared/domain/members/present.js';
