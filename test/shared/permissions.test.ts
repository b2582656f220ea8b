import {
  ALL_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  Permission as P,
  TIMED_OUT_PERMISSIONS,
  basePermissions,
  channelPermissions,
  has,
  highestPosition,
  parsePermissions,
  permissionNames,
  serverPermissions,
  type MemberFacts,
  type Overwrite,
} from '../../shared/permissions/index.js';

const SERVER = '100';
const OWNER = '1';
const USER = '2';
const MOD_ROLE = '200';
const ADMIN_ROLE = '201';
const MUTED_ROLE = '202';

function member(fields: Partial<MemberFacts> = {}): MemberFacts {
  return {
    userId: USER,
    serverId: SERVER,
    ownerId: OWNER,
    everyone: DEFAULT_EVERYONE_PERMISSIONS,
    roles: [],
    timeoutUntil: null,
    ...fields,
  };
}
const ow = (id: string, type: Overwrite['type'], allow: bigint, deny: bigint): Overwrite => ({
  id,
  type,
  allow,
  deny,
});
const future = new Date(Date.now() + 60_000);

describe('the permission computation (API.md order)', () => {
  // [case, member, channel overwrites, bits that must be set, bits that must be clear]
  const cases: [string, MemberFacts, Overwrite[], bigint, bigint][] = [
    [
      'owner has everything, whatever the overwrites',
      member({ userId: OWNER, everyone: 0n }),
      [ow(SERVER, 'role', 0n, ALL_PERMISSIONS), ow(OWNER, 'member', 0n, ALL_PERMISSIONS)],
      ALL_PERMISSIONS,
      0n,
    ],
    [
      'plain member gets @everyone',
      member(),
      [],
      DEFAULT_EVERYONE_PERMISSIONS,
      P.MANAGE_MESSAGES | P.KICK_MEMBERS,
    ],
    [
      'a role adds to @everyone',
      member({ roles: [{ id: MOD_ROLE, permissions: P.MANAGE_MESSAGES }] }),
      [],
      P.MANAGE_MESSAGES | P.SEND_MESSAGES,
      P.KICK_MEMBERS,
    ],
    [
      'administrator role grants everything, overwrites ignored',
      member({ roles: [{ id: ADMIN_ROLE, permissions: P.ADMINISTRATOR }] }),
      [ow(SERVER, 'role', 0n, P.VIEW_CHANNEL)],
      ALL_PERMISSIONS,
      0n,
    ],
    [
      '@everyone deny hides the channel',
      member(),
      [ow(SERVER, 'role', 0n, P.VIEW_CHANNEL)],
      0n,
      P.VIEW_CHANNEL | P.SEND_MESSAGES,
    ],
    [
      '@everyone deny + role allow re-grants',
      member({ roles: [{ id: MOD_ROLE, permissions: 0n }] }),
      [ow(SERVER, 'role', 0n, P.VIEW_CHANNEL), ow(MOD_ROLE, 'role', P.VIEW_CHANNEL, 0n)],
      P.VIEW_CHANNEL | P.SEND_MESSAGES,
      0n,
    ],
    [
      'role allow beats another role deny (all role overwrites together: deny then allow)',
      member({
        roles: [
          { id: MOD_ROLE, permissions: 0n },
          { id: MUTED_ROLE, permissions: 0n },
        ],
      }),
      [ow(MUTED_ROLE, 'role', 0n, P.SEND_MESSAGES), ow(MOD_ROLE, 'role', P.SEND_MESSAGES, 0n)],
      P.SEND_MESSAGES,
      0n,
    ],
    [
      'member overwrite beats role overwrite (deny)',
      member({ roles: [{ id: MOD_ROLE, permissions: 0n }] }),
      [ow(MOD_ROLE, 'role', P.SEND_MESSAGES, 0n), ow(USER, 'member', 0n, P.SEND_MESSAGES)],
      P.VIEW_CHANNEL,
      P.SEND_MESSAGES,
    ],
    [
      'member overwrite beats role overwrite (allow)',
      member({ roles: [{ id: MUTED_ROLE, permissions: 0n }] }),
      [ow(MUTED_ROLE, 'role', 0n, P.SEND_MESSAGES), ow(USER, 'member', P.SEND_MESSAGES, 0n)],
      P.SEND_MESSAGES,
      0n,
    ],
    [
      'overwrites of roles the member lacks do not apply',
      member(),
      [ow(MOD_ROLE, 'role', P.MANAGE_MESSAGES, 0n)],
      P.SEND_MESSAGES,
      P.MANAGE_MESSAGES,
    ],
    [
      'another member’s overwrite does not apply',
      member(),
      [ow('999', 'member', 0n, P.VIEW_CHANNEL)],
      P.VIEW_CHANNEL,
      0n,
    ],
    [
      'timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY',
      member({ timeoutUntil: future, roles: [{ id: MOD_ROLE, permissions: P.MANAGE_MESSAGES }] }),
      [ow(USER, 'member', P.SEND_MESSAGES, 0n)],
      TIMED_OUT_PERMISSIONS,
      ~TIMED_OUT_PERMISSIONS & ALL_PERMISSIONS,
    ],
    [
      'an expired timeout no longer applies',
      member({ timeoutUntil: new Date(Date.now() - 1000) }),
      [],
      P.SEND_MESSAGES,
      0n,
    ],
    [
      'without VIEW_CHANNEL nothing else in the channel applies',
      member(),
      [ow(USER, 'member', P.MANAGE_MESSAGES, P.VIEW_CHANNEL)],
      0n,
      P.MANAGE_MESSAGES | P.READ_MESSAGE_HISTORY,
    ],
  ];

  it.each(cases)('%s', (_name, facts, overwrites, set, clear) => {
    const perms = channelPermissions(facts, overwrites);
    expect(permissionNames(set & ~perms)).toEqual([]);
    expect(permissionNames(clear & perms)).toEqual([]);
  });

  it('a thread inherits its parent: computing with the parent’s overwrites is the thread’s answer', () => {
    const parentOverwrites = [ow(SERVER, 'role', 0n, P.VIEW_CHANNEL)];
    expect(has(channelPermissions(member(), parentOverwrites), P.VIEW_CHANNEL)).toBe(false);
  });

  it('server-wide permissions: base, administrator, timeout', () => {
    expect(basePermissions(member({ userId: OWNER }))).toBe(ALL_PERMISSIONS);
    expect(basePermissions(member({ roles: [{ id: ADMIN_ROLE, permissions: P.ADMINISTRATOR }] }))).toBe(
      ALL_PERMISSIONS,
    );
    expect(serverPermissions(member({ timeoutUntil: future }))).toBe(
      DEFAULT_EVERYONE_PERMISSIONS & TIMED_OUT_PERMISSIONS,
    );
    expect(
      has(
        serverPermissions(member({ roles: [{ id: MOD_ROLE, permissions: P.KICK_MEMBERS }] })),
        P.KICK_MEMBERS,
      ),
    ).toBe(true);
  });

  it('hierarchy: the highest role position, the owner above all', () => {
    const positions = new Map([
      [SERVER, 0],
      [MOD_ROLE, 5],
      [MUTED_ROLE, 2],
    ]);
    expect(highestPosition(member(), positions)).toBe(0);
    expect(
      highestPosition(
        member({
          roles: [
            { id: MUTED_ROLE, permissions: 0n },
            { id: MOD_ROLE, permissions: 0n },
          ],
        }),
        positions,
      ),
    ).toBe(5);
    expect(highestPosition(member({ userId: OWNER }), positions)).toBe(Number.POSITIVE_INFINITY);
  });

  it('parses decimal-string bitfields and refuses unknown bits or other text', () => {
    expect(parsePermissions(String(P.SEND_MESSAGES | P.PIN_MESSAGES))).toBe(P.SEND_MESSAGES | P.PIN_MESSAGES);
    expect(() => parsePermissions(String(1n << 12n))).toThrow(/unknown bits/);
    expect(() => parsePermissions('0x10')).toThrow();
    expect(() => parsePermissions('-1')).toThrow();
    expect(permissionNames(P.KICK_MEMBERS | P.BAN_MEMBERS)).toEqual(['KICK_MEMBERS', 'BAN_MEMBERS']);
  });

  it('the bits are Discord’s', () => {
    expect(P.ADMINISTRATOR).toBe(8n);
    expect(P.VIEW_CHANNEL).toBe(1024n);
    expect(P.MODERATE_MEMBERS).toBe(1n << 40n);
    expect(P.PIN_MESSAGES).toBe(1n << 51n);
  });
});
