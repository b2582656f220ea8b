import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { presentSelf } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { renditionKeys } from '../../storage/renditions.js';
import { deleteFilesAfterCommit } from '../../storage/row-files.js';
import { requireUser } from '../members/present.js';

/**
 * Sets (a stored upload's URL) or clears (null) `userId`'s avatar: the member lists of their
 * servers move, their own connections hear USER_UPDATE, and the files of the avatar it replaced
 * are deleted after the commit (a job). Returns the user as they see themselves.
 */
export async function setAvatar(
  rt: Runtime,
  userId: string,
  url: string | null,
): Promise<ReturnType<typeof presentSelf>> {
  return runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const user = await requireUser(rt, userId, transaction);
    const old = user.avatar_url;
    if (old === url) return presentSelf(rt.config, user);
    user.avatar_url = url;
    await user.save({ transaction });
    const self = presentSelf(rt.config, user);
    fx.invalidate({ users: [userId], accounts: [userId] });
    fx.dispatch([rooms.user(userId)], 'USER_UPDATE', self);
    await deleteFilesAfterCommit(rt, fx, renditionKeys(old, `avatars/${userId}/`), transaction);
    return self;
  });
}
