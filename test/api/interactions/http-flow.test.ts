import type http from 'node:http';
import { SIGNATURE_HEADER, verifySignature } from '../../../shared/integrations/signature.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { as, person } from '../messages/pipeline-helpers.js';
import {
  answerJson,
  asBot,
  callback,
  followup,
  httpBot,
  invoke,
  startInteractionsReceiver,
  type InteractionsReceiver,
  type Received,
} from './interaction-helpers.js';

let app: TestApp;
let receiver: InteractionsReceiver;
/** Requests the receiver never answers. */
const held: http.ServerResponse[] = [];

beforeAll(async () => {
  receiver = await startInteractionsReceiver();
  app = await startTestApp({
    gateway: false,
    config: testConfig({ outbound: { allow_private: ['127.0.0.0/8'] }, interactions: { deadline_ms: 4000 } }),
  });
});
afterAll(async () => {
  for (const res of held) res.destroy();
  await receiver.close();
  await app.close();
});

describe('slash commands over signed HTTP', () => {
  it('POSTs the interaction signed with the application’s secret; the answer in the response body is posted', async () => {
    const { w, bot, secret } = await httpBot(app, receiver);
    receiver.answer = (got, res) =>
      answerJson(res, 200, {
        type: 'message',
        data: { content: `pong for ${got.interaction.user.username}` },
      });
    const res = await invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'message',
      message: {
        author_id: bot.botId,
        content: `pong for ${w.owner.username}`,
        interaction: { name: 'ping' },
      },
    });

    const got = receiver.received.at(-1) as Received;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-plexichat-interaction-id']).toBe(res.body.id);
    expect(got.interaction).toMatchObject({
      id: res.body.id,
      application_id: bot.appId,
      type: 'command',
      token: expect.any(String),
      data: { name: 'ping', options: [] },
      channel_id: w.channelId,
    });
    const header = got.headers[SIGNATURE_HEADER] as string;
    expect(verifySignature(secret, header, got.body)).toBeNull();
    expect(verifySignature(`${secret}x`, header, got.body)).toBe('mismatch');
    expect(verifySignature(secret, header, got.body.replace('ping', 'pong'))).toBe('mismatch');

    const stored = await app.rt.models.Message.findByPk(res.body.message.id, { rejectOnEmpty: true });
    expect(stored.interaction).toEqual({ id: res.body.id, name: 'ping', user_id: w.owner.id });
  });

  it('an endpoint that defers in its response, then follows up with the token', async () => {
    const { w, bot } = await httpBot(app, receiver);
    receiver.answer = (_got, res) => answerJson(res, 200, { type: 'deferred' });
    const res = await invoke(app, w.owner, { command: 'slow', channel_id: w.channelId });
    expect(res.body).toEqual({ id: expect.any(String), status: 'deferred' });
    const { interaction } = receiver.received.at(-1) as Received;
    expect(interaction.id).toBe(res.body.id);

    const more = await followup(app, interaction, { content: 'done thinking' });
    expect(more.status).toBe(200);
    expect(more.body).toMatchObject({
      author_id: bot.botId,
      content: 'done thinking',
      interaction: { id: interaction.id },
    });
    const again = await callback(app, interaction, { type: 'message', data: { content: 'x' } });
    expect(again.body.code).toBe('interaction_already_acknowledged');
  });

  it('an endpoint that answers 202 and then calls the callback route', async () => {
    const { w } = await httpBot(app, receiver);
    let answered: Promise<unknown> = Promise.resolve();
    receiver.answer = (got, res) => {
      res.writeHead(202).end();
      answered = callback(app, got.interaction, {
        type: 'message',
        data: { content: 'for you only', ephemeral: true },
      });
    };
    const res = await invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ephemeral',
      message: { content: 'for you only', flags: ['ephemeral'] },
    });
    expect(await answered).toMatchObject({ status: 204 });
    expect(await app.rt.models.Message.findByPk(res.body.message.id)).toBeNull();
  });

  it('an endpoint that refuses, keeps failing or answers nonsense fails the interaction (502); a later callback is refused', async () => {
    const { w } = await httpBot(app, receiver);
    const failures: ((res: http.ServerResponse) => void)[] = [
      // Retried (test/api/interactions/deliveries.test.ts) until interactions.max_attempts.
      (res) => answerJson(res, 500, { error: 'boom' }),
      (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('not json'),
      (res) => answerJson(res, 200, { type: 'modal' }),
      (res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(),
    ];
    for (const [i, fail] of failures.entries()) {
      receiver.answer = (_got, res) => fail(res);
      const res = await invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
      expect([i, res.status, res.body.code]).toEqual([i, 502, 'interaction_failed']);
      const late = await callback(app, (receiver.received.at(-1) as Received).interaction, {
        type: 'message',
        data: { content: 'late' },
      });
      expect([i, late.status, late.body.code]).toEqual([i, 410, 'interaction_expired']);
    }
    expect(await app.rt.models.Message.count({ where: { channel_id: w.channelId, type: 'default' } })).toBe(
      0,
    );
  });

  it('an endpoint that never answers: the deadline fails the interaction (504)', async () => {
    const { w } = await httpBot(app, receiver);
    receiver.answer = (_got, res) => {
      held.push(res);
    };
    const res = await invoke(app, w.owner, { command: 'slow', channel_id: w.channelId });
    expect([res.status, res.body.code]).toEqual([504, 'interaction_timeout']);
    const late = await callback(app, (receiver.received.at(-1) as Received).interaction, {
      type: 'deferred',
    });
    expect([late.status, late.body.code]).toEqual([410, 'interaction_expired']);
  });

  it('the signing secret is the owner’s alone, and stays the same', async () => {
    const { bot, secret } = await httpBot(app, receiver);
    const again = await as(app, bot.owner, 'GET', `/applications/${bot.appId}/interactions-secret`);
    expect(again.body).toEqual({ application_id: bot.appId, interactions_secret: secret });
    const byBot = await asBot(app, bot, 'GET', `/applications/${bot.appId}/interactions-secret`);
    expect([byBot.status, byBot.body.code]).toEqual([404, 'unknown_application']);
    const byStranger = await as(
      app,
      await person(app),
      'GET',
      `/applications/${bot.appId}/interactions-secret`,
    );
    expect([byStranger.status, byStranger.body.code]).toEqual([404, 'unknown_application']);
    // Stored sealed, never in clear.
    const row = await app.rt.models.Application.findByPk(bot.appId, { rejectOnEmpty: true });
    expect(row.interactions_secret).toMatch(/^v1\./);
    expect(row.interactions_secret).not.toContain(secret);
  });
});
