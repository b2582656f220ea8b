import { useEffect, useState } from 'preact/hooks';
import { Permission, type PermissionName } from '../../../../shared/permissions/bits.ts';
import {
  assignRole,
  createRole,
  deleteRole,
  getChannel,
  serverMembers,
  serverRoles,
  setOverwrite,
  updateRole,
  type Channel,
  type Member,
  type PermissionOverwrite,
  type Role,
  type Server,
} from '../api.ts';
import { Dialog } from './Dialog.tsx';

const NAMES = Object.keys(Permission) as PermissionName[];
/** What the overwrite editor offers per permission (channel-level ones; server-wide ones do nothing there). */
const CHANNEL_NAMES = NAMES.filter(
  (n) =>
    ![
      'KICK_MEMBERS',
      'BAN_MEMBERS',
      'ADMINISTRATOR',
      'MANAGE_SERVER',
      'VIEW_AUDIT_LOG',
      'CHANGE_NICKNAME',
      'MANAGE_NICKNAMES',
      'MANAGE_EMOJIS',
      'MODERATE_MEMBERS',
    ].includes(n),
);

const CHOICES = { allow: 'Allow', deny: 'Deny', inherit: 'Inherit' } as const;

const has = (set: string, name: PermissionName): boolean => (BigInt(set) & Permission[name]) !== 0n;
const toggled = (set: string, name: PermissionName, on: boolean): string =>
  String(on ? BigInt(set) | Permission[name] : BigInt(set) & ~Permission[name]);

/** Whether the user may open the server's settings: the owner, or MANAGE_SERVER / MANAGE_ROLES / ADMINISTRATOR. */
export function canManageServer(server: Server, roles: Role[], me: Member | undefined): boolean {
  if (!me) return false;
  if (server.owner_id === me.user.id) return true;
  const held = roles.filter((r) => r.id === server.id || me.roles.includes(r.id));
  const bits = held.reduce((acc, r) => acc | BigInt(r.permissions), 0n);
  return (bits & (Permission.ADMINISTRATOR | Permission.MANAGE_SERVER | Permission.MANAGE_ROLES)) !== 0n;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The server's roles (create, rename, delete, permission bits), who holds them, and per channel the
 * overwrites of a role. Every change goes straight to the REST API; a refusal shows its message.
 */
export function ServerSettings({
  server,
  roles,
  members,
  channels,
  onRoles,
  onMember,
  onClose,
}: {
  server: Server;
  roles: Role[];
  members: Member[];
  channels: Channel[];
  onRoles: (roles: Role[]) => void;
  onMember: (member: Member) => void;
  onClose: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [newRole, setNewRole] = useState('');
  const [roleId, setRoleId] = useState(server.id);
  const [rename, setRename] = useState('');
  const [allMembers, setAllMembers] = useState<Member[]>(members);
  const [memberId, setMemberId] = useState(members[0]?.user.id ?? '');
  const [channelId, setChannelId] = useState(channels[0]?.id ?? '');
  const [overwriteRoleId, setOverwriteRoleId] = useState(server.id);
  const [overwrites, setOverwrites] = useState<PermissionOverwrite[]>([]);

  const run = async (work: () => Promise<unknown>): Promise<void> => {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(message(err));
    }
  };
  const reloadRoles = async (): Promise<void> => onRoles(await serverRoles(server.id));

  useEffect(() => {
    void run(async () => {
      const found = await serverMembers(server.id);
      setAllMembers(found);
      setMemberId((id) => id || (found[0]?.user.id ?? ''));
    });
  }, [server.id]);
  useEffect(() => {
    if (!channelId) return;
    void run(async () => setOverwrites((await getChannel(channelId)).permission_overwrites ?? []));
  }, [channelId]);

  const role = roles.find((r) => r.id === roleId) ?? roles.find((r) => r.id === server.id);
  const member = allMembers.find((m) => m.user.id === memberId);
  const assignable = roles.filter((r) => r.id !== server.id && !r.managed);
  const overwrite = overwrites.find((o) => o.id === overwriteRoleId) ?? {
    id: overwriteRoleId,
    type: 'role' as const,
    allow: '0',
    deny: '0',
  };
  const roleName = (r: Role): string => (r.id === server.id ? '@everyone' : r.name);

  const setOverwriteBit = (name: PermissionName, choice: 'allow' | 'deny' | 'inherit'): Promise<void> =>
    run(async () => {
      const allow = toggled(overwrite.allow, name, choice === 'allow');
      const deny = toggled(overwrite.deny, name, choice === 'deny');
      await setOverwrite(channelId, overwriteRoleId, allow, deny);
      setOverwrites((await getChannel(channelId)).permission_overwrites ?? []);
    });

  return (
    <Dialog title="Server settings" onClose={onClose}>
      <div class="settings">
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <section aria-labelledby="settings-roles">
          <h3 id="settings-roles">Roles</h3>
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              void run(async () => {
                const created = await createRole(server.id, { name: newRole.trim() });
                setNewRole('');
                await reloadRoles();
                setRoleId(created.id);
              });
            }}
          >
            <label>
              New role name
              <input value={newRole} onInput={(e) => setNewRole(e.currentTarget.value)} />
            </label>
            <button type="submit">Create role</button>
          </form>
          <label for="settings-role">Role</label>
          <select id="settings-role" value={role?.id} onChange={(e) => setRoleId(e.currentTarget.value)}>
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {roleName(r)}
              </option>
            ))}
          </select>
          {role && role.id !== server.id && (
            <form
              class="row"
              onSubmit={(e) => {
                e.preventDefault();
                void run(async () => {
                  await updateRole(server.id, role.id, { name: rename.trim() });
                  setRename('');
                  await reloadRoles();
                });
              }}
            >
              <label>
                Rename role
                <input value={rename} onInput={(e) => setRename(e.currentTarget.value)} />
              </label>
              <button type="submit">Rename</button>
              <button
                type="button"
                class="danger"
                onClick={() =>
                  void run(async () => {
                    await deleteRole(server.id, role.id);
                    setRoleId(server.id);
                    await reloadRoles();
                  })
                }
              >
                Delete role
              </button>
            </form>
          )}
          {role && (
            <fieldset class="permissions">
              <legend>Permissions of {roleName(role)}</legend>
              {NAMES.map((name) => (
                <label key={name}>
                  <input
                    type="checkbox"
                    checked={has(role.permissions, name)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      void run(async () => {
                        await updateRole(server.id, role.id, {
                          permissions: toggled(role.permissions, name, on),
                        });
                        await reloadRoles();
                      });
                    }}
                  />
                  {name}
                </label>
              ))}
            </fieldset>
          )}
        </section>
        <section aria-labelledby="settings-members">
          <h3 id="settings-members">Members</h3>
          <label for="settings-member">Member</label>
          <select id="settings-member" value={memberId} onChange={(e) => setMemberId(e.currentTarget.value)}>
            {allMembers.map((m) => (
              <option key={m.user.id} value={m.user.id}>
                {m.user.username}
              </option>
            ))}
          </select>
          {member && (
            <fieldset>
              <legend>Roles of {member.user.username}</legend>
              {assignable.length === 0 && <p>No roles yet.</p>}
              {assignable.map((r) => (
                <label key={r.id}>
                  <input
                    type="checkbox"
                    checked={member.roles.includes(r.id)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      void run(async () => {
                        await assignRole(server.id, member.user.id, r.id, on);
                        const next = {
                          ...member,
                          roles: on ? [...member.roles, r.id] : member.roles.filter((id) => id !== r.id),
                        };
                        setAllMembers((list) => list.map((m) => (m.user.id === next.user.id ? next : m)));
                        onMember(next);
                      });
                    }}
                  />
                  {r.name}
                </label>
              ))}
            </fieldset>
          )}
        </section>
        <section aria-labelledby="settings-channels">
          <h3 id="settings-channels">Channel permissions</h3>
          <label for="settings-channel">Channel</label>
          <select
            id="settings-channel"
            value={channelId}
            onChange={(e) => setChannelId(e.currentTarget.value)}
          >
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <label for="settings-overwrite-role">Overwrite for role</label>
          <select
            id="settings-overwrite-role"
            value={overwriteRoleId}
            onChange={(e) => setOverwriteRoleId(e.currentTarget.value)}
          >
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {roleName(r)}
              </option>
            ))}
          </select>
          {channelId && (
            <div class="overwrites">
              {CHANNEL_NAMES.map((name) => {
                const current = has(overwrite.allow, name)
                  ? 'allow'
                  : has(overwrite.deny, name)
                    ? 'deny'
                    : 'inherit';
                return (
                  <fieldset key={name}>
                    <legend>{name}</legend>
                    {(['allow', 'deny', 'inherit'] as const).map((choice) => (
                      <label key={choice}>
                        <input
                          type="radio"
                          name={`overwrite-${name}`}
                          checked={current === choice}
                          onChange={() => void setOverwriteBit(name, choice)}
                        />
                        {CHOICES[choice]}
                      </label>
                    ))}
                  </fieldset>
                );
              })}
            </div>
          )}
        </section>
        <div class="buttons">
          <button type="button" class="secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}
