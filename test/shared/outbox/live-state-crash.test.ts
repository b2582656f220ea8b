import { screeningOn } from '../../../shared/automod/store.js';
import type { DispatchFrame } from '../../../shared/events/index.js';
import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { DoomedApis } from '../../helpers/doomed-api.js';
import { until } from '../../helpers/services.js';
import {
  addChannel,
  as,
  useGateways,
  makeRole,
  makeWorld,
  member,
} from '../../api/messages/pipeline-helpers.js';

// What a command changes outside Postgres (gateway rooms after a permission change, the AutoMod
// screening flag in Redis) is an outbox effect of its transaction: an API process killed right
// after the commit, before it relayed anything, loses none of it, because the relay loop of the
// workers relays the row it left. Done by hand after the commit, both would be lost here: the
// member would never see the channel their new role opens, and the rule would never screen.

const doomed = new DoomedApis(() => app.config);

const app = useTestApp({}, 60000);
const gw = useGateways(app);

afterAll(async () => {
  await doomed.killAll();
});

it('a role that opens a channel moves the member into it although the API died after the commit', async () => {
  const w = await makeWorld(app);
  const secret = await addChannel(app, w, 'secret');
  const role = await makeRole(app, w.serverId, { position: 1 });
  const overwrite = (target: string, type: string, allow: bigint, deny: bigint) =>
    as(app, w.owner, 'PUT', `/channels/${secret}/permissions/${target}`, {
      type,
      allow: String(allow),
      deny: String(deny),
    });
  expect((await overwrite(w.serverId, 'role', 0n, Permission.VIEW_CHANNEL)).status).toBe(204);
  expect((await overwrite(role.id, 'role', Permission.VIEW_CHANNEL, 0n)).status).toBe(204);
  const alice = await member(app, w.serverId);
  const client = await gw.connect(alice);

  await doomed.send(w.owner.token, 'PUT', `/servers/${w.serverId}/members/${alice.id}/roles/${role.id}`);
  // Committed, and nothing relayed by the dead process.
  expect(
    await app.rt.models.MemberRole.count({
      where: { server_id: w.serverId, user_id: alice.id, role_id: role.id },
    }),
  ).toBe(1);

  // The relay loop takes rows older than RELAY_GRACE_MS (5 s): Alice is told about the channel...
  const opened = (f: DispatchFrame) => f.t === 'CHANNEL_CREATE' && (f.d as { id: string }).id === secret;
  await client.waitForFrames(1, opened, 20000);
  // ...and her connection is in its room: what is said there reaches her.
  const said = await as(app, w.owner, 'POST', `/channels/${secret}/messages`, {
    content: 'for role holders',
  });
  expect(said.status).toBe(200);
  await client.waitForFrames(
    1,
    (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === said.body.id,
  );
  expect(client.frames.filter(opened)).toHaveLength(1);
}, 60000);

it('a new AutoMod rule screens messages although the API died after the commit', async () => {
  const w = await makeWorld(app);
  const alice = await member(app, w.serverId);

  await doomed.send(w.owner.token, 'POST', `/servers/${w.serverId}/automod/rules`, {
    name: 'rule',
    trigger_type: 'keyword',
    trigger: { keywords: ['forbidden'] },
    actions: [{ type: 'block' }],
  });
  expect(await app.rt.models.AutomodRule.count({ where: { server_id: w.serverId } })).toBe(1);

  // The dead process set no flag; the relay loop does (rows older than RELAY_GRACE_MS, 5 s).
  const flagged = () => screeningOn(app.rt.redis, app.config.redis.key_prefix, w.serverId);
  expect(await flagged()).toBe(false);
  await until(flagged, 'the screening flag');
  // From then on the rule blocks what it names.
  const res = await as(app, alice, 'POST', `/channels/${w.channelId}/messages`, {
    content: 'a forbidden word',
  });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 'automod_blocked' });
}, 60000);
