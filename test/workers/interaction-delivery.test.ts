import { SIGNATURE_HEADER, verifySignature } from '../../shared/integrations/signature.js';
import { startWorkers } from '../../workers/runner.js';
import { api } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';
import { until } from '../helpers/services.js';
import { as } from '../api/messages/pipeline-helpers.js';
import {
  answerJson,
  httpBot,
  startInteractionsReceiver,
  type InteractionsReceiver,
} from '../api/interactions/interaction-helpers.js';

// An interaction POSTed to an interactions_url is a job in Redis, not a promise in the API process
// that took the invocation: that process may die and the interaction still arrives and is answered.

let app: TestApp;
let receiver: InteractionsReceiver;
let invoker: RoleProcess | null = null;

beforeAll(async () => {
  receiver = await startInteractionsReceiver();
  // No workers yet: nothing can be delivered until the invoking API process is dead.
  app = await startTestApp({
    gateway: false,
    workers: false,
    config: testConfig({ outbound: { allow_private: ['127.0.0.0/8'] } }),
  });
});
afterAll(async () => {
  await invoker?.kill('SIGKILL');
  await receiver.close();
  await app.close();
});

it('an API process killed right after the invocation: the queued delivery still reaches the endpoint and its answer is posted', async () => {
  const { w, bot, secret } = await httpBot(app, receiver);
  receiver.answer = (_got, res) => answerJson(res, 200, { type: 'message', data: { content: 'still here' } });

  invoker = spawnEntry('api/main.ts', {
    ...configEnv(app.config),
    PLEXICHAT_SERVER__PORT: '0',
    PLEXICHAT_SERVER__HOST: '127.0.0.1',
    PLEXICHAT_LOG__LEVEL: 'info',
    // Long enough for the kill and the workers' start below.
    PLEXICHAT_INTERACTIONS__DEADLINE_MS: '30000',
  });
  const listening = await invoker.waitFor(/"port":(\d+)[^\n]*"api listening"/, 60_000);
  const invokerApi = { api: `http://127.0.0.1:${listening[1] as string}/api/v1` };
  const invocation = api(invokerApi, 'POST', '/interactions', {
    token: w.owner.token,
    body: { command: 'ping', channel_id: w.channelId },
  }).then(
    (res) => ({ answered: res.status }),
    () => ({ answered: null }),
  );

  const queued = () => app.rt.models.InteractionDelivery.findOne({ where: { application_id: bot.appId } });
  await until(async () => (await queued()) !== null, 'the delivery to be queued');
  await invoker.kill('SIGKILL');
  // The user's request died with its process, before anything was sent.
  expect(await invocation).toEqual({ answered: null });
  expect(receiver.received).toHaveLength(0);

  const pool = startWorkers(app.rt);
  app.rt.lifecycle.add('workers', () => pool.close());
  await until(async () => (await queued())?.status !== 'pending', 'the delivery to finish');

  expect(receiver.received).toHaveLength(1);
  const [got] = receiver.received;
  expect(verifySignature(secret, got?.headers[SIGNATURE_HEADER] as string, got?.body ?? '')).toBeNull();
  const log = await as(app, w.owner, 'GET', `/applications/${bot.appId}/deliveries`);
  expect(log.body).toMatchObject([
    { interaction_id: got?.interaction.id, status: 'succeeded', attempt_log: [{ status_code: 200 }] },
  ]);
  // The answer in the endpoint's response was posted, as the bot's answer to the interaction.
  await until(async () => {
    const page = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages`);
    return (page.body as { content: string }[]).some((m) => m.content === 'still here');
  }, 'the answer to be posted');
  const messages = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages`);
  expect(messages.body).toContainEqual(
    expect.objectContaining({
      author_id: bot.botId,
      content: 'still here',
      interaction: { id: got?.interaction.id, name: 'ping', user_id: w.owner.id },
    }),
  );
  // It starts and kills an API process of its own: more than the default 30 s on a loaded machine.
}, 90000);
