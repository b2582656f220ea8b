import { deleteAccount } from '../../../shared/accounts/delete-account.js';
import { ApiError } from '../../../shared/errors.js';
import type { Runtime } from '../../../shared/runtime.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { adminUserParams } from './users-schema.js';

/** DELETE /admin/users/{user_id}: an instance admin deletes an account (as DELETE /users/@me does). */
export function adminUserDeletionRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<{ user_id: string }>({
      method: 'delete',
      path: '/admin/users/{user_id}',
      access: 'admin',
      userOnly: true,
      summary: 'Delete an account',
      description:
        'What DELETE /users/@me does, without the account’s password: sessions and gateway connections end, ' +
        'personal data is erased, the account leaves every server, its messages stay under the placeholder ' +
        '`deleted_user_<id>` and its username is reserved for `accounts.deleted_username_grace_days`. 409 ' +
        '`owns_servers` / `owns_applications` (listing them) while it owns any: transfer or delete them ' +
        'first. Not for bots (400 `bot_account`: delete their application) or the caller’s own account ' +
        '(400 `cannot_delete_self`). Recorded as the security event `account_deleted` with `details.by`.',
      tags: ['Admin'],
      params: adminUserParams,
      status: 204,
      responses: {
        204: { description: 'Deleted' },
        400: { description: '`cannot_delete_self` or `bot_account`' },
        404: { description: '`unknown_user` (or already deleted)' },
        409: { description: '`owns_servers` (with `servers`) or `owns_applications` (with `applications`)' },
      },
      handler: async ({ params, auth, ip }) => {
        if (params.user_id === auth.user.id) {
          throw new ApiError(400, 'cannot_delete_self', 'Delete your own account with DELETE /users/@me', {
            user_id: 'is your own account',
          });
        }
        await deleteAccount(rt, params.user_id, { kind: 'admin', adminId: auth.user.id, ip });
      },
    }),
  ];
}
