import { api } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';
import { gateway, join, voiceWorld, voiceSuite } from './voice-helpers.js';

// No voice role here: what the API and the gateway do on their own.
let app: TestApp;
const { gateways } = voiceSuite((started) => (app = started), { voice: false });

describe('voice and stage channels', () => {
  it('creates stage channels and voice channels with a user limit and bitrate, and changes them', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app, { channel_type: 'stage', user_limit: 20 });
    const stage = await api(app, 'GET', `/channels/${channelId}`, { token: owner.token });
    expect(stage.body).toMatchObject({ channel_type: 'stage', user_limit: 20, bitrate: 64000 });
    const patched = await api(app, 'PATCH', `/channels/${channelId}`, {
      token: owner.token,
      body: { bitrate: 96000, user_limit: 0 },
    });
    expect(patched.body).toMatchObject({ user_limit: 0, bitrate: 96000 });
    const audit = await app.rt.models.AuditLog.findOne({
      where: { server_id: serverId, action: 'channel_update', target_id: channelId },
    });
    expect(audit?.changes).toEqual([
      { key: 'user_limit', old: 20, new: 0 },
      { key: 'bitrate', old: 64000, new: 96000 },
    ]);
    // Text channels have neither.
    const text = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: owner.token,
      body: { name: 'chat', channel_type: 'text', user_limit: 5, bitrate: 9000 },
    });
    expect(text).toMatchObject({
      status: 400,
      body: {
        code: 'validation_error',
        errors: { user_limit: expect.any(String), bitrate: expect.any(String) },
      },
    });
    const bad = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: owner.token,
      body: { name: 'v', channel_type: 'voice', user_limit: 100, bitrate: 1 },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { errors: { user_limit: expect.any(String), bitrate: expect.any(String) } },
    });
    const general = await api(app, 'GET', `/servers/${serverId}/channels`, { token: owner.token });
    expect(general.body.find((c: { channel_type: string }) => c.channel_type === 'text')).not.toHaveProperty(
      'user_limit',
    );
  });

  it('answers 503 voice_unavailable when no voice server runs, and stores nothing', async () => {
    const { owner, channelId } = await voiceWorld(app);
    const gw = await gateway(app, owner, gateways);
    expect((await join(gw, channelId)).ack).toMatchObject({ ok: false, code: 'voice_unavailable' });
    expect(await app.rt.redis.exists(`${app.config.redis.key_prefix}:voice:user:${owner.id}`)).toBe(0);
    const ready = gw.frames.find((f) => f.t === 'READY')?.d as unknown as { voice_states: unknown[] };
    expect(ready.voice_states).toEqual([]);
  });
});
