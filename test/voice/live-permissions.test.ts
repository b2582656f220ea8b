import { sendUntilHeard } from '../helpers/voice-client.js';
import { api } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';
import { DEFAULT_EVERYONE_PERMISSIONS, Permission } from '../../shared/permissions/index.js';
import {
  gateway,
  joinAndConnect,
  makeRole,
  member,
  stateUpdate,
  voiceWorld,
  voiceSuite,
  type Person,
  explainMedia,
} from './voice-helpers.js';

// A permission change reaches sessions already in voice, not only the next join (shared/voice-chat/enforce.ts).
let app: TestApp;
const { gateways, voices } = voiceSuite((started) => (app = started));

const bits = (b: bigint) => String(b);

/** The owner watching, and `who` connected to the channel's voice server. */
async function connected(world: Awaited<ReturnType<typeof voiceWorld>>, who: Person) {
  const ownerGw = await gateway(app, world.owner, gateways);
  const gw = await gateway(app, who, gateways);
  const { voice } = await joinAndConnect(gw, world.channelId, voices);
  await stateUpdate(ownerGw, who.id, (d) => d.channel_id === world.channelId);
  return { ownerGw, gw, voice };
}

async function inVoice(world: { owner: Person; serverId: string }): Promise<string[]> {
  const res = await api(app, 'GET', `/servers/${world.serverId}/voice-states`, { token: world.owner.token });
  return (res.body as { user_id: string }[]).map((s) => s.user_id);
}

describe('live voice permissions', () => {
  it('an overwrite denying CONNECT disconnects those in the channel at once; the owner stays', async () => {
    const world = await voiceWorld(app);
    const guest = await member(app, world.serverId);
    const { ownerGw, gw, voice } = await connected(world, guest);
    await joinAndConnect(ownerGw, world.channelId, voices);

    const put = await api(app, 'PUT', `/channels/${world.channelId}/permissions/${world.serverId}`, {
      token: world.owner.token,
      body: { type: 'role', allow: '0', deny: bits(Permission.CONNECT) },
    });
    expect(put.status).toBe(204);
    await stateUpdate(gw, guest.id, (d) => d.channel_id === null);
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
    expect(await inVoice(world)).toEqual([world.owner.id]);
  });

  it('losing the role that let a member see the channel disconnects them', async () => {
    const world = await voiceWorld(app);
    const role = await makeRole(app, world.serverId, { position: 1 });
    const guest = await member(app, world.serverId, [role.id]);
    for (const [target, type, overwrite] of [
      [world.serverId, 'role', { allow: '0', deny: bits(Permission.VIEW_CHANNEL) }],
      [role.id, 'role', { allow: bits(Permission.VIEW_CHANNEL), deny: '0' }],
    ] as const) {
      const res = await api(app, 'PUT', `/channels/${world.channelId}/permissions/${target}`, {
        token: world.owner.token,
        body: { type, ...overwrite },
      });
      expect(res.status).toBe(204);
    }
    const { gw, voice } = await connected(world, guest);

    const removed = await api(
      app,
      'DELETE',
      `/servers/${world.serverId}/members/${guest.id}/roles/${role.id}`,
      {
        token: world.owner.token,
      },
    );
    expect(removed.status).toBe(204);
    await stateUpdate(gw, guest.id, (d) => d.channel_id === null);
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
    expect(await inVoice(world)).toEqual([]);
  });

  it('@everyone losing CONNECT, and a timeout, disconnect members already in voice', async () => {
    const world = await voiceWorld(app);
    const [first, second] = [await member(app, world.serverId), await member(app, world.serverId)];
    const a = await connected(world, first);
    const until = Math.floor(Date.now() / 1000) + 600;
    const timedOut = await api(app, 'PATCH', `/servers/${world.serverId}/members/${first.id}`, {
      token: world.owner.token,
      body: { communication_disabled_until: until },
    });
    expect(timedOut.status).toBe(200);
    await stateUpdate(a.gw, first.id, (d) => d.channel_id === null);
    await a.voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');

    const b = await connected(world, second);
    const edited = await api(app, 'PATCH', `/servers/${world.serverId}/roles/${world.serverId}`, {
      token: world.owner.token,
      body: { permissions: bits(DEFAULT_EVERYONE_PERMISSIONS & ~Permission.CONNECT) },
    });
    expect(edited.status).toBe(200);
    await stateUpdate(b.gw, second.id, (d) => d.channel_id === null);
    await b.voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
    expect(await inVoice(world)).toEqual([]);
  });

  it('losing SPEAK suppresses a live speaker (nothing forwarded) and regaining it lifts that', async () => {
    const world = await voiceWorld(app);
    const speaker = await member(app, world.serverId);
    const listener = await member(app, world.serverId);
    const s = await connected(world, speaker);
    const listenerGw = await gateway(app, listener, gateways);
    const { voice: listenerVoice } = await joinAndConnect(listenerGw, world.channelId, voices);
    const sender = await s.voice.sendAudio();
    const receiver = await listenerVoice.receive(sender.producerId);
    await sendUntilHeard(sender, receiver, 10, { explain: () => explainMedia(app) });

    const path = `/channels/${world.channelId}/permissions/${speaker.id}`;
    const denied = await api(app, 'PUT', path, {
      token: world.owner.token,
      body: { type: 'member', allow: '0', deny: bits(Permission.SPEAK) },
    });
    expect(denied.status).toBe(204);
    const suppressed = await stateUpdate(listenerGw, speaker.id, (d) => d.suppress === true);
    expect(suppressed).toMatchObject({ channel_id: world.channelId, suppress: true });
    await s.voice.waitForEvent('producer_paused', (p) => p.reason === 'suppressed');
    await listenerVoice.waitForEvent('consumer_paused', (p) => p.consumer_id === receiver.consumerId);

    expect((await api(app, 'DELETE', path, { token: world.owner.token })).status).toBe(204);
    await stateUpdate(listenerGw, speaker.id, (d) => d.suppress === false);
    await s.voice.waitForEvent('producer_resumed', (p) => p.producer_id === sender.producerId);
    await sendUntilHeard(sender, receiver, 10, { explain: () => explainMedia(app) });
  });

  it('an AutoMod timeout disconnects the member from voice', async () => {
    const world = await voiceWorld(app);
    const guest = await member(app, world.serverId);
    const rule = await api(app, 'POST', `/servers/${world.serverId}/automod/rules`, {
      token: world.owner.token,
      body: {
        name: 'no spoilers',
        trigger_type: 'keyword',
        trigger: { keywords: ['spoiler'] },
        actions: [{ type: 'timeout', duration_seconds: 600 }],
      },
    });
    expect(rule.status).toBe(201);
    const { gw, voice } = await connected(world, guest);
    const sent = await api(app, 'POST', `/channels/${world.textId}/messages`, {
      token: guest.token,
      body: { content: 'spoiler: it was a dream' },
    });
    expect(sent.status).toBe(200);
    await stateUpdate(gw, guest.id, (d) => d.channel_id === null);
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
    expect(await inVoice(world)).toEqual([]);
  });

  it('an owner who hands the server over keeps only what their roles give them, in voice too', async () => {
    const world = await voiceWorld(app);
    const heir = await member(app, world.serverId);
    const deny = await api(app, 'PUT', `/channels/${world.channelId}/permissions/${world.serverId}`, {
      token: world.owner.token,
      body: { type: 'role', allow: '0', deny: bits(Permission.CONNECT) },
    });
    expect(deny.status).toBe(204);
    const ownerGw = await gateway(app, world.owner, gateways);
    const { voice } = await joinAndConnect(ownerGw, world.channelId, voices);
    const handed = await api(app, 'PATCH', `/servers/${world.serverId}`, {
      token: world.owner.token,
      body: { owner_id: heir.id },
    });
    expect(handed.status).toBe(200);
    await stateUpdate(ownerGw, world.owner.id, (d) => d.channel_id === null);
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
    expect(await inVoice({ ...world, owner: heir })).toEqual([]);
  });
});
