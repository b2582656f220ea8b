import type { QueueEvents } from 'bullmq';
import { rooms } from '../../shared/events/index.js';
import { createQueueEvents, messageJobId, type CreateMessageJob } from '../../shared/queues/index.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { useTestApp } from '../helpers/app.js';
import { configEnv } from '../helpers/config.js';
import { issueSession } from '../../shared/accounts/sessions.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { createServerWithChannel, createUser } from '../helpers/factories.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';

let gatewayB: RoleProcess;
let originB: string;
let queueEvents: QueueEvents;
const clients: GatewayClient[] = [];

const app = useTestApp({}, 60000);
beforeAll(async () => {
  // A second gateway in its own OS process, sharing only Redis with the first.
  gatewayB = spawnEntry('gateway/main.ts', { ...configEnv(app.config), PLEXICHAT_GATEWAY__PORT: '0' });
  const [, port] = await gatewayB.waitFor(/GATEWAY_LISTENING (\d+)/);
  originB = `http://127.0.0.1:${port}`;
  const eventSet = createQueueEvents(app.config, app.rt.logger);
  queueEvents = eventSet.events.messages;
  app.rt.lifecycle.add('test queue events', () => eventSet.close());
  await queueEvents.waitUntilReady();
}, 60000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gatewayB?.kill();
});

/** A gateway client for a fresh user in no server: it joins rooms only when the test says so. */
async function client(origin: string): Promise<GatewayClient> {
  const user = await createUser(app.rt);
  const { token } = await issueSession(app.rt, user, { ip: '127.0.0.1', userAgent: 'test' });
  const c = await connectGateway(origin, { token });
  clients.push(c);
  return c;
}

const created = (c: GatewayClient) => c.frames.filter((f) => f.t === 'MESSAGE_CREATE');

async function channelFixture() {
  const user = await createUser(app.rt);
  const { channel } = await createServerWithChannel(app.rt, user.id);
  return { userId: user.id, channelId: channel.id };
}

function messageJob(channelId: string, authorId: string, content: string): CreateMessageJob {
  const id = app.rt.snowflake.next();
  return {
    kind: 'create',
    message: { id, channel_id: channelId, author_id: authorId, content, nonce: null },
  };
}

async function enqueue(job: CreateMessageJob) {
  const added = await app.rt.queues.messages.add('create', job, {
    jobId: messageJobId('create', job.message.id),
  });
  return added.waitUntilFinished(queueEvents, 10000);
}

describe('the smoke path: queue -> worker -> Postgres -> gateway, across two gateway processes', () => {
  it('delivers MESSAGE_CREATE to clients in the channel room on either process, and stores the row', async () => {
    const { userId, channelId } = await channelFixture();
    const onA = await client(app.origin);
    const onB = await client(originB);
    for (const c of [onA, onB])
      await app.rt.events.joinRooms(c.socket.id as string, [rooms.channel(channelId)]);

    const job = messageJob(channelId, userId, 'hello across processes');
    const result = await enqueue(job);

    const [frameA] = await onA.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    const [frameB] = await onB.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    for (const frame of [frameA, frameB]) {
      // s = 1 was READY.
      expect(frame).toEqual({ t: 'MESSAGE_CREATE', s: 2, d: result });
    }
    expect(result).toMatchObject({
      id: job.message.id,
      channel_id: channelId,
      author_id: userId,
      content: 'hello across processes',
      created_at: decodeSnowflake(job.message.id).createdAt,
      edited_at: null,
      attachments: [],
      embeds: [],
      pinned: false,
    });
    const row = await app.rt.models.Message.findByPk(job.message.id);
    expect(row?.content).toBe('hello across processes');
  });

  it('numbers each session’s dispatches 1, 2, 3… in order, and skips clients outside the room', async () => {
    const { userId, channelId } = await channelFixture();
    const other = await channelFixture();
    const member = await client(originB);
    const outsider = await client(originB);
    await app.rt.events.joinRooms(member.socket.id as string, [rooms.channel(channelId)]);
    await app.rt.events.joinRooms(outsider.socket.id as string, [rooms.channel(other.channelId)]);

    const jobs = ['one', 'two', 'three'].map((text) => messageJob(channelId, userId, text));
    for (const job of jobs) await enqueue(job);
    // Published after the three above on the same connection, so once the outsider sees it,
    // anything addressed to it earlier would have arrived too.
    await enqueue(messageJob(other.channelId, other.userId, 'for the outsider'));

    await member.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
    expect(
      member.frames.map((f) => [f.s, f.t === 'READY' ? 'READY' : (f.d as { content: string }).content]),
    ).toEqual([
      [1, 'READY'],
      [2, 'one'],
      [3, 'two'],
      [4, 'three'],
    ]);
    await outsider.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    expect(created(outsider).map((f) => (f.d as { content: string }).content)).toEqual(['for the outsider']);
    expect(outsider.frames).toHaveLength(2);
  });

  it('a connection that leaves the room stops receiving at once', async () => {
    const { userId, channelId } = await channelFixture();
    const c = await client(app.origin);
    await app.rt.events.joinRooms(c.socket.id as string, [rooms.channel(channelId), rooms.user(userId)]);
    await enqueue(messageJob(channelId, userId, 'before'));
    await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    await app.rt.events.leaveRooms(c.socket.id as string, [rooms.channel(channelId)]);
    await enqueue(messageJob(channelId, userId, 'after'));
    // A marker to the user's room, published after: its arrival bounds the wait.
    await app.rt.events.dispatch([rooms.user(userId)], 'MESSAGE_DELETE', { id: '1', channel_id: channelId });
    await c.waitForFrames(1, (f) => f.t === 'MESSAGE_DELETE');
    expect(c.frames.map((f) => f.t)).toEqual(['READY', 'MESSAGE_CREATE', 'MESSAGE_DELETE']);
  });

  it('the same job id added twice stores one message; a re-run finds the row and returns it', async () => {
    const { userId, channelId } = await channelFixture();
    const job = messageJob(channelId, userId, 'only once');
    const [first, second] = await Promise.all([enqueue(job), enqueue(job)]);
    expect(second).toEqual(first);
    expect(await app.rt.models.Message.count({ where: { id: job.message.id } })).toBe(1);

    // A retry after a crash between commit and completion: the row exists, the job still succeeds.
    await app.rt.queues.messages.remove(messageJobId('create', job.message.id));
    const rerun = await enqueue(job);
    expect(rerun).toEqual(first);
    expect(await app.rt.models.Message.count({ where: { id: job.message.id } })).toBe(1);
  });

  it('a job for an unknown channel fails at once (no retries) and lands in the failed set', async () => {
    const user = await createUser(app.rt);
    const job = messageJob('1', user.id, 'nowhere');
    await expect(enqueue(job)).rejects.toThrow(/unknown channel 1/);
    const stored = await app.rt.queues.messages.getJob(messageJobId('create', job.message.id));
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(1);
    expect(await app.rt.models.Message.count({ where: { id: job.message.id } })).toBe(0);
  });
});
