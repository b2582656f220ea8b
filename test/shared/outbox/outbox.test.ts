import { QueryTypes } from 'sequelize';
import { screeningOn } from '../../../shared/automod/store.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import { rooms, type DispatchFrame } from '../../../shared/events/index.js';
import {
  eventId,
  relayEffects,
  relayLeftovers,
  runCommand,
  type Effect,
} from '../../../shared/outbox/index.js';
import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { until } from '../../helpers/services.js';
import { as, useGateways, makeWorld, member, type World } from '../../api/messages/pipeline-helpers.js';

// The outbox's own guarantees, with the relay loop driven by hand (no workers here): effects leave
// after the commit only, a repeat reaches a client once, and rows left behind go out in id order.

const app = useTestApp({ workers: false }, 60000);
const gw = useGateways(app);

const deleted = (frames: DispatchFrame[]) =>
  frames.filter((f) => f.t === 'MESSAGE_DELETE').map((f) => (f.d as { id: string }).id);

/** A MESSAGE_DELETE effect for the world's channel (any id: nothing is stored). */
const deletion = (w: World, id: string): Effect => ({
  k: 'dispatch',
  rooms: [rooms.channel(w.channelId)],
  t: 'MESSAGE_DELETE',
  d: { id, channel_id: w.channelId },
});

async function rowCount(where = 'true', bind: unknown[] = []): Promise<number> {
  const [row] = await app.rt.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM outbox WHERE ${where}`,
    {
      bind,
      type: QueryTypes.SELECT,
    },
  );
  return Number(row?.n);
}

/** Publishes a marker straight to the stream and waits for it: everything published before has arrived. */
async function settle(w: World, client: Awaited<ReturnType<typeof gw.connect>>, marker: string) {
  await app.rt.events.dispatch([rooms.channel(w.channelId)], 'MESSAGE_DELETE', {
    id: marker,
    channel_id: w.channelId,
  });
  await client.waitForFrames(1, (f) => f.t === 'MESSAGE_DELETE' && (f.d as { id: string }).id === marker);
}

describe('runCommand', () => {
  it('relays the effects right after the commit, in order, and deletes the row', async () => {
    const w = await makeWorld(app);
    const client = await gw.connect(w.owner);
    const ids = await runCommand(app.rt, rooms.channel(w.channelId), (_t, fx) => {
      fx.dispatch([rooms.channel(w.channelId)], 'MESSAGE_DELETE', { id: '1', channel_id: w.channelId });
      fx.dispatch([rooms.channel(w.channelId)], 'MESSAGE_DELETE', { id: '2', channel_id: w.channelId });
      return Promise.resolve(['1', '2']);
    });
    await client.waitForFrames(2, (f) => f.t === 'MESSAGE_DELETE');
    expect(deleted(client.frames)).toEqual(ids);
    await until(
      async () => (await rowCount('order_key = $1', [rooms.channel(w.channelId)])) === 0,
      'the relayed row to be deleted',
    );
  });

  it('saves its effects once, as the last statement of the transaction', async () => {
    const twice = await runCommand(app.rt, null, async (_t, fx) => {
      fx.invalidate({ servers: ['1'] });
      await fx.save();
    }).catch((err: Error) => err.message);
    expect(twice).toBe('outbox effects saved twice');
  });

  it('a command that rolls back stores and relays nothing', async () => {
    const w = await makeWorld(app);
    const client = await gw.connect(w.owner);
    const failed = await runCommand(app.rt, null, async (transaction, fx) => {
      fx.dispatch([rooms.channel(w.channelId)], 'MESSAGE_DELETE', { id: '3', channel_id: w.channelId });
      await app.rt.sequelize.query('SELECT 1', { transaction });
      throw new Error('refused');
    }).catch((err: Error) => err.message);
    expect(failed).toBe('refused');
    await settle(w, client, 'marker');
    expect(deleted(client.frames)).toEqual(['marker']);
    expect(await rowCount('order_key = $1', [rooms.channel(w.channelId)])).toBe(0);
  });
});

describe('idempotent consumers', () => {
  it('an effect relayed twice reaches a connected client once', async () => {
    const w = await makeWorld(app);
    const client = await gw.connect(w.owner);
    const effects = [deletion(w, '10'), deletion(w, '11')];
    await relayEffects(app.rt, '9000000001', effects);
    await relayEffects(app.rt, '9000000001', effects);
    await settle(w, client, 'marker');
    expect(deleted(client.frames)).toEqual(['10', '11', 'marker']);
  });

  it('a follow-up job relayed twice is queued once, under its event id', async () => {
    const effect: Effect = {
      k: 'job',
      queue: 'mail',
      name: 'email_verify',
      data: { kind: 'email_verify', to: 'a@example.com', username: 'a', link: 'x', valid_minutes: 1 },
    };
    await relayEffects(app.rt, '9000000002', [effect]);
    await relayEffects(app.rt, '9000000002', [effect]);
    const job = await app.rt.queues.mail.getJob(`ob-${eventId('9000000002', 0)}`);
    expect(job?.data.to).toBe('a@example.com');
    expect(await app.rt.queues.mail.getJobCountByTypes('waiting', 'delayed', 'active')).toBe(1);
    await job?.remove();
  });
});

describe('effects recomputed from the committed rows', () => {
  it('a permission change relayed twice moves the member into the channel once', async () => {
    const w = await makeWorld(app);
    const alice = await member(app, w.serverId);
    const hidden = { channel_id: w.channelId, target_id: alice.id, type: 'member' as const };
    await app.rt.models.PermissionOverwrite.create({
      ...hidden,
      allow: '0',
      deny: String(Permission.VIEW_CHANNEL),
    });
    await invalidate(app.rt, { channels: [w.channelId] });
    const client = await gw.connect(alice);
    // The overwrite goes without effects of its own: only the relayed ones move her.
    await app.rt.models.PermissionOverwrite.destroy({ where: hidden });
    await invalidate(app.rt, { channels: [w.channelId] });
    const effect: Effect = { k: 'permissions', server: w.serverId, users: [alice.id], announce: true };
    await relayEffects(app.rt, '9000000003', [effect]);
    await relayEffects(app.rt, '9000000003', [effect]);
    await settle(w, client, 'seen');
    const opened = client.frames.filter(
      (f) => f.t === 'CHANNEL_CREATE' && (f.d as { id: string }).id === w.channelId,
    );
    expect(opened).toHaveLength(1);
  });

  it('a cache refresh relayed twice leaves the AutoMod flag as the rules say', async () => {
    const w = await makeWorld(app);
    const created = await as(app, w.owner, 'POST', `/servers/${w.serverId}/automod/rules`, {
      name: 'rule',
      trigger_type: 'keyword',
      trigger: { keywords: ['x'] },
      actions: [{ type: 'block' }],
    });
    expect(created.status).toBe(201);
    const flagged = () => screeningOn(app.rt.redis, app.config.redis.key_prefix, w.serverId);
    expect(await flagged()).toBe(true);
    // Deleted without effects: the flag is stale until a refresh recomputes it.
    await app.rt.models.AutomodRule.destroy({ where: { server_id: w.serverId } });
    expect(await flagged()).toBe(true);
    const effect: Effect = { k: 'refresh', cache: 'automod', ids: [w.serverId] };
    await relayEffects(app.rt, '9000000004', [effect]);
    await relayEffects(app.rt, '9000000004', [effect]);
    expect(await flagged()).toBe(false);
  });
});

describe('the relay loop', () => {
  it('moves the IP-rule version when it relays a rule change a crashed process left', async () => {
    const scope = app.config.redis.key_prefix;
    const version = async () => Number((await app.rt.redis.get(`${scope}:ip_rules:version`)) ?? 0);
    const before = await version();
    const effect: Effect = { k: 'refresh', cache: 'ip-rules', ids: ['all'] };
    await app.rt.sequelize.query(
      `INSERT INTO outbox (scope, order_key, effects, created_at) VALUES ($1, '-', $2::jsonb, now() - interval '1 minute')`,
      { bind: [scope, JSON.stringify([effect])], type: QueryTypes.INSERT },
    );
    expect(await relayLeftovers(app.rt)).toBe(1);
    // Every process's rule cache reloads when the counter moves.
    expect(await version()).toBe(before + 1);
  });

  it('relays rows a crashed process left, oldest first, once they are past the grace period', async () => {
    const w = await makeWorld(app);
    const client = await gw.connect(w.owner);
    const scope = app.config.redis.key_prefix;
    const insert = (effects: Effect[], age: string) =>
      app.rt.sequelize.query(
        `INSERT INTO outbox (scope, order_key, effects, created_at) VALUES ($1, $2, $3::jsonb, now() - $4::interval)`,
        { bind: [scope, rooms.channel(w.channelId), JSON.stringify(effects), age], type: QueryTypes.INSERT },
      );
    await insert([deletion(w, '21'), deletion(w, '22')], '1 minute');
    await insert([deletion(w, '23')], '1 minute');
    // Too young: its own process may still be relaying it.
    await insert([deletion(w, '24')], '0 seconds');

    expect(await relayLeftovers(app.rt)).toBe(2);
    await settle(w, client, 'marker');
    expect(deleted(client.frames)).toEqual(['21', '22', '23', 'marker']);
    expect(await rowCount('scope = $1', [scope])).toBe(1);
    await app.rt.sequelize.query(`DELETE FROM outbox WHERE scope = $1`, { bind: [scope] });
  });
});
