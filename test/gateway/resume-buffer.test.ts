import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { ResumeBuffer } from '../../gateway/sessions/resume-buffer.js';
import { createLogger } from '../../shared/logger.js';
import { testConfig } from '../helpers/config.js';
import { TEST_REDIS_URL } from '../helpers/env.js';

const logger = createLogger(testConfig(), 'test');
const prefix = `test-resume-buffer-${crypto.randomBytes(4).toString('hex')}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

// A tick's frames are appended in one command per chunk of sessions; what a resume reads back and
// the order frames go out must be as if each were written on its own before being sent.
describe('ResumeBuffer', () => {
  it('records every frame of a busy tick (many sessions, thousands of frames for one) and sends each session’s in order', async () => {
    const size = 10_000;
    const buffer = new ResumeBuffer(redis, prefix, size, 60_000, logger);
    const sessions = Array.from({ length: 1203 }, () => crypto.randomBytes(16).toString('hex'));
    const busy = sessions[7] as string;
    const sent = new Map<string, number[]>();
    const frame = (sessionId: string, seq: number) => {
      buffer.record(sessionId, seq, { id: `1700000000000-${seq}`, k: seq % 3 }, () => {
        const list = sent.get(sessionId) ?? [];
        list.push(seq);
        sent.set(sessionId, list);
      });
    };
    for (const id of sessions) frame(id, 1);
    for (let seq = 2; seq <= 9000; seq++) frame(busy, seq);
    for (const id of sessions) if (id !== busy) frame(id, 2);
    // Nothing goes out before the write.
    expect(sent.size).toBe(0);
    await buffer.flush();
    const [one, other] = await Promise.all([buffer.read(busy), buffer.read(sessions[1200] as string)]);
    expect(one.map((f) => f.s)).toEqual(Array.from({ length: 9000 }, (_, i) => i + 1));
    expect(one[8998]).toEqual({ s: 8999, pos: { id: '1700000000000-8999', k: 8999 % 3 } });
    expect(other).toEqual([
      { s: 1, pos: { id: '1700000000000-1', k: 1 } },
      { s: 2, pos: { id: '1700000000000-2', k: 2 } },
    ]);
    for (const id of sessions) {
      expect(sent.get(id)).toEqual(id === busy ? one.map((f) => f.s) : [1, 2]);
    }
    // Every list got its TTL on its first write.
    expect(await redis.pttl(`${prefix}:gw:frames:${sessions[1202]}`)).toBeGreaterThan(0);
  });

  it('keeps a session list capped at its size', async () => {
    const buffer = new ResumeBuffer(redis, prefix, 10, 60_000, logger);
    const id = crypto.randomBytes(16).toString('hex');
    for (let seq = 1; seq <= 25; seq++) {
      buffer.record(id, seq, { id: `1700000000000-${seq}`, k: 0 });
      await buffer.flush();
    }
    const frames = await buffer.read(id);
    // Trimmed once it may have grown a tenth past its size: at most size + size / 10.
    expect(frames.length).toBeLessThanOrEqual(11);
    expect(frames.at(-1)?.s).toBe(25);
  });
});
