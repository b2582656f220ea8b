import { messageJobId } from '../../../shared/queues/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { startWorkers } from '../../../workers/runner.js';
import { useTestApp } from '../../helpers/app.js';
import { configEnv, testConfig } from '../../helpers/config.js';
import { spawnEntry, type RoleProcess } from '../../helpers/processes.js';
import { until } from '../../helpers/services.js';
import { as, useGateways, makeWorld, sendUntilStored } from '../../api/messages/pipeline-helpers.js';

// A workers process dies (SIGKILL, from the test fault hook) right after committing a message,
// before relaying it. The next message of that channel, stored by another workers process well
// within the relay loop's grace period, must not overtake it: whoever next takes the channel's
// order relays what the dead process left first.

const processes: RoleProcess[] = [];

const app = useTestApp(
  {
    workers: false,
    // The killed process's job is taken over quickly; it finds its message stored.
    config: testConfig({
      queues: { wait_timeout_ms: 500, send_wait_ms: 500, lock_ms: 1000, stalled_interval_ms: 500 },
    }),
  },
  60000,
);
const gw = useGateways(app);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
});

describe('a row left by a crash', () => {
  it('goes out before the next message of its channel', async () => {
    const w = await makeWorld(app);
    const client = await gw.connect(w.owner);
    const doomed = spawnEntry('workers/main.ts', {
      ...configEnv(app.config),
      PLEXICHAT_LOG__LEVEL: 'info',
      PLEXICHAT_TEST_FAULT: 'outbox-after-commit',
    });
    processes.push(doomed);
    await doomed.waitFor(/workers started/);

    const first = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, { content: 'first' });
    expect([first.status, first.body.code]).toEqual([503, 'send_pending']);
    await doomed.exited;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    expect(await app.rt.models.Message.count({ where: { id: first.body.id as string } })).toBe(1);

    // Workers in this process now, long before the relay loop would look at the dead one's row.
    const pool = startWorkers(app.rt);
    app.rt.lifecycle.add('workers', () => pool.close());
    // Stored within send_wait_ms (500 ms) on a quiet machine; under load the SDK's retry gets it.
    const second = await sendUntilStored(app, w.owner, w.channelId, 'second');
    await client.waitForFrames(2, (f) => f.t === 'MESSAGE_CREATE', 20000);

    const creates = () =>
      client.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as MessageObject).content);
    expect(creates()).toEqual(['first', 'second']);
    // The dead worker's job runs again here and finds its message: nothing more arrives.
    await until(async () => {
      const job = await app.rt.queues.messages.getJob(messageJobId('create', first.body.id as string));
      return (await job?.getState()) === 'completed';
    }, 'the retried job to complete');
    await sendUntilStored(app, w.owner, w.channelId, 'third');
    await client.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
    expect(creates()).toEqual(['first', 'second', 'third']);
    expect(BigInt(first.body.id as string) < BigInt(second.id)).toBe(true);
  }, 60000);
});
