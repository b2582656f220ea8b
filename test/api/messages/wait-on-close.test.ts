import { listenFirst, runMessageCommand } from '../../../api/messages/jobs.js';
import { createServices } from '../../../api/services.js';
import type { MessageJob } from '../../../shared/queues/index.js';
import { startTestApp } from '../../helpers/app.js';
import { until } from '../../helpers/services.js';

/** A create command (its job id and data) no workers process will run: the apps here have none. */
const neverStored = (): { jobId: string; job: MessageJob } => {
  const id = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const message = { id, channel_id: '1', author_id: '1', content: 'never stored', nonce: null };
  return { jobId: `create-${id}`, job: { kind: 'create', message } };
};

describe('stopping the API while a request waits for its message command', () => {
  // Each wait is far past the test's timeout: only the close can end it in time.
  it('ends the wait at once as still queued, instead of holding the process until it times out', async () => {
    const app = await startTestApp({ workers: false, gateway: false });
    const { jobId, job } = neverStored();
    const pending = runMessageCommand(app.rt, createServices(app.rt), jobId, job, { waitMs: 600_000 });
    // BullMQ's wait listens for its queue's 'closing' once it has started waiting.
    await until(() => app.rt.queues.messages.listenerCount('closing') > 0, 'the wait to start');
    await app.close();
    expect(await pending).toEqual({ done: false });
  });

  it('ends a wait on the job events (a fresh command, the send path) the same way', async () => {
    const app = await startTestApp({ workers: false, gateway: false });
    const services = createServices(app.rt);
    const events = services.queueEvents.events.messages;
    // The listen-first path opens once the events have delivered an 'added' (before that, the
    // BullMQ way): jobs are added until one was read.
    await until(async () => {
      const probe = listenFirst(events, 'probe', 1000);
      probe?.cancel();
      if (probe) return true;
      const warmUp = neverStored();
      await app.rt.queues.messages.add(warmUp.job.kind, warmUp.job, { jobId: warmUp.jobId });
      return false;
    }, 'the job events to be read');
    const { jobId, job } = neverStored();
    const before = events.listenerCount('closing');
    const pending = runMessageCommand(app.rt, services, jobId, job, { fresh: true, waitMs: 600_000 });
    await until(() => events.listenerCount('closing') > before, 'the wait to start');
    await app.close();
    expect(await pending).toEqual({ done: false });
  });
});
