// Moved to shared/domain/access.ts (the domain commands need it); re-exported for the routes
// and commands that still import it from here.
export {
  checkParent,
  loadChannel,
  memberIds,
  requireServerChannel,
  type PrivateChannelAccess,
  type ServerChannelAccess,
} from '../../shared/domain/access.js';
