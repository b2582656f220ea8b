import { SIGNATURE_HEADER, verifySignature } from '../../../shared/integrations/signature.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { until } from '../../helpers/services.js';
import { as, person } from '../messages/pipeline-helpers.js';
import {
  answerJson,
  asBot,
  callback,
  httpBot,
  invoke,
  startInteractionsReceiver,
  type InteractionsReceiver,
} from './interaction-helpers.js';

// Interactions POSTed to an interactions_url are jobs on the webhooks queue, retried while the
// deadline leaves time, each attempt in the application's delivery log.

let receiver: InteractionsReceiver;

beforeAll(async () => {
  receiver = await startInteractionsReceiver();
});
const app = useTestApp({
  gateway: false,
  config: testConfig({
    outbound: { allow_private: ['127.0.0.0/8'] },
    interactions: { deadline_ms: 8000, max_attempts: 3, retry_base_ms: 100 },
  }),
});
afterAll(async () => {
  await receiver.close();
});

describe('interaction deliveries', () => {
  it('a first attempt answered 500 is retried; the retry’s answer is posted and the log shows both attempts', async () => {
    const { w, bot, secret } = await httpBot(app, receiver);
    let calls = 0;
    receiver.answer = (_got, res) => {
      calls += 1;
      if (calls === 1) answerJson(res, 500, { error: 'warming up' });
      else answerJson(res, 200, { type: 'message', data: { content: 'second time lucky' } });
    };
    const res = await invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'message',
      message: { author_id: bot.botId, content: 'second time lucky', interaction: { name: 'ping' } },
    });

    const posts = receiver.received.filter((r) => r.interaction.id === res.body.id);
    expect(posts).toHaveLength(2);
    // The same interaction, token and all, signed anew each time.
    expect(posts[1]?.interaction).toEqual(posts[0]?.interaction);
    for (const post of posts) {
      expect(verifySignature(secret, post.headers[SIGNATURE_HEADER] as string, post.body)).toBeNull();
    }

    const log = await as(app, w.owner, 'GET', `/applications/${bot.appId}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body).toHaveLength(1);
    const [delivery] = log.body;
    expect(delivery).toMatchObject({
      application_id: bot.appId,
      interaction_id: res.body.id,
      status: 'succeeded',
      attempts: 2,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
      completed_at: expect.any(Number),
      attempt_log: [
        { attempt: 1, status_code: 500, error: 'HTTP 500' },
        { attempt: 2, status_code: 200, error: null },
      ],
      payload: { id: res.body.id, type: 'command', data: { name: 'ping' } },
    });
    // The token is the application's credential for the answer: never shown in the log, never kept.
    expect(delivery.payload).not.toHaveProperty('token');
    const row = await app.rt.models.InteractionDelivery.findByPk(delivery.id, { rejectOnEmpty: true });
    expect(row.sealed_token).toBeNull();
  });

  it('an endpoint that keeps failing gets max_attempts attempts; then the user gets 502 and the delivery is dead', async () => {
    const { w, bot } = await httpBot(app, receiver);
    receiver.answer = (_got, res) => answerJson(res, 503, { error: 'down' });
    const res = await invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    expect([res.status, res.body.code]).toEqual([502, 'interaction_failed']);
    expect(res.body.message).toMatch(/answered 503/);
    const log = await as(app, w.owner, 'GET', `/applications/${bot.appId}/deliveries`);
    expect(log.body).toMatchObject([
      {
        status: 'dead',
        attempts: 3,
        last_status_code: 503,
        attempt_log: [1, 2, 3].map((attempt) => ({ attempt, status_code: 503, error: 'HTTP 503' })),
      },
    ]);
  });

  it('a refused answer (404) is not retried', async () => {
    const { w, bot } = await httpBot(app, receiver);
    receiver.answer = (_got, res) => answerJson(res, 404, { error: 'no such route' });
    const res = await invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    expect([res.status, res.body.code]).toEqual([502, 'interaction_failed']);
    const log = await as(app, w.owner, 'GET', `/applications/${bot.appId}/deliveries?status=failed`);
    expect(log.body).toMatchObject([{ status: 'failed', attempts: 1, attempt_log: [{ status_code: 404 }] }]);
  });

  it('an answer in the body after one through the callback route is not taken, and the log says so', async () => {
    const { w, bot } = await httpBot(app, receiver);
    receiver.answer = (got, res) => {
      void callback(app, got.interaction, { type: 'deferred' }).then(() =>
        answerJson(res, 200, { type: 'message', data: { content: 'me too' } }),
      );
    };
    const res = await invoke(app, w.owner, { command: 'slow', channel_id: w.channelId });
    expect(res.body).toEqual({ id: expect.any(String), status: 'deferred' });
    const path = `/applications/${bot.appId}/deliveries`;
    await until(async () => {
      const log = await as(app, w.owner, 'GET', path);
      return log.body[0]?.last_error !== null && log.body[0]?.status !== 'pending';
    }, 'the attempt to be logged');
    const log = await as(app, w.owner, 'GET', path);
    expect(log.body).toMatchObject([
      {
        status: 'succeeded',
        last_error: 'its answer was not taken (interaction_already_acknowledged)',
        attempt_log: [
          { status_code: 200, error: 'its answer was not taken (interaction_already_acknowledged)' },
        ],
      },
    ]);
    expect(await app.rt.models.Message.count({ where: { channel_id: w.channelId, type: 'default' } })).toBe(
      0,
    );
  });

  it('the log pages like the other lists, and is the owner’s alone', async () => {
    const { w, bot } = await httpBot(app, receiver);
    receiver.answer = (_got, res) => answerJson(res, 200, { type: 'deferred' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await invoke(app, w.owner, { command: 'slow', channel_id: w.channelId });
      expect(res.body.status).toBe('deferred');
      ids.push(res.body.id as string);
    }
    const path = `/applications/${bot.appId}/deliveries`;
    const interactionsOf = (body: { interaction_id: string }[]) => body.map((d) => d.interaction_id);

    const all = await as(app, w.owner, 'GET', path);
    expect(interactionsOf(all.body)).toEqual([...ids].reverse());
    const deliveryIds = (all.body as { id: string }[]).map((d) => d.id);
    const newest = await as(app, w.owner, 'GET', `${path}?limit=2`);
    expect(interactionsOf(newest.body)).toEqual([ids[2], ids[1]]);
    const older = await as(app, w.owner, 'GET', `${path}?before=${deliveryIds[1]}`);
    expect(interactionsOf(older.body)).toEqual([ids[0]]);
    const after = await as(app, w.owner, 'GET', `${path}?after=${deliveryIds[2]}&limit=1`);
    expect(interactionsOf(after.body)).toEqual([ids[1]]);
    const none = await as(app, w.owner, 'GET', `${path}?status=dead`);
    expect(none.body).toEqual([]);
    const bad = await as(app, w.owner, 'GET', `${path}?limit=0`);
    expect([bad.status, Object.keys(bad.body.errors ?? {})]).toEqual([400, ['limit']]);

    const stranger = await as(app, await person(app), 'GET', path);
    expect([stranger.status, stranger.body.code]).toEqual([404, 'unknown_application']);
    // Not even its own bot: the log carries what users sent it.
    const byBot = await asBot(app, bot, 'GET', path);
    expect([byBot.status, byBot.body.code]).toEqual([404, 'unknown_application']);
  });
});
