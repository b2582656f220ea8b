import { runMessageCommand } from '../../../api/messages/jobs.js';
import { createServices } from '../../../api/services.js';
import { startTestApp } from '../../helpers/app.js';
import { until } from '../../helpers/services.js';

describe('stopping the API while a request waits for its message command', () => {
  it('ends the wait at once as still queued, instead of holding the process until it times out', async () => {
    // No workers: the command stays queued, so the request would wait out all of waitMs.
    const app = await startTestApp({ workers: false, gateway: false });
    const id = `${Date.now()}`;
    const pending = runMessageCommand(
      app.rt,
      createServices(app.rt),
      `create-${id}`,
      {
        kind: 'create',
        message: { id, channel_id: '1', author_id: '1', content: 'never stored', nonce: null },
      },
      // Far past the test's timeout: only the queue closing can end this wait in time.
      { waitMs: 600_000 },
    );
    // BullMQ's wait listens for its queue's 'closing' once it has started waiting.
    await until(() => app.rt.queues.messages.listenerCount('closing') > 0, 'the wait to start');
    await app.close();
    expect(await pending).toEqual({ done: false });
  });
});
