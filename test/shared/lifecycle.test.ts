import { Lifecycle } from '../../shared/lifecycle.js';
import { captureLog } from '../helpers/log-capture.js';

/**
 * Lifecycle.close (shared/lifecycle.ts): newest first, and neither a failing nor a stuck closer
 * keeps the others from closing; a stuck one is named in the log.
 */
describe('Lifecycle.close', () => {
  it('closes newest first, past a failing closer and past a stuck one, naming the stuck one', async () => {
    const { logger, lines } = captureLog<{ msg: string; what?: string }>({ level: 'error' });
    const lifecycle = new Lifecycle(logger, 200);
    const closed: string[] = [];
    lifecycle.add('database', () => {
      closed.push('database');
    });
    lifecycle.add('stuck queue', () => new Promise<void>(() => undefined));
    lifecycle.add('failing', () => {
      closed.push('failing');
      throw new Error('boom');
    });
    lifecycle.add('api', async () => {
      await new Promise((r) => setTimeout(r, 20));
      closed.push('api');
    });

    await lifecycle.close();
    expect(closed).toEqual(['api', 'failing', 'database']);
    expect(lines.map((l) => [l.msg, l.what])).toEqual([
      ['error while closing', 'failing'],
      ['closing timed out: going on without it', 'stuck queue'],
    ]);
    // Once: a second close is the same shutdown.
    await lifecycle.close();
    expect(closed).toEqual(['api', 'failing', 'database']);
  });
});
