import { Decoder, Encoder, PacketType } from 'socket.io-parser';
import { encodeDispatch } from '../../gateway/frames.js';

// The gateway writes dispatch frames as packets it encodes itself (the payload once per event);
// they must be byte for byte what socket.io's own encoder makes of socket.emit('dispatch', frame).
describe('encodeDispatch', () => {
  const reference = (frame: object): unknown =>
    new Encoder().encode({ type: PacketType.EVENT, nsp: '/', data: ['dispatch', frame] })[0];

  it.each([
    [
      'a message',
      'MESSAGE_CREATE',
      { id: '1', content: 'héllo "quoted" \u2028 \\ 👍', mentions: [], reply_to: null },
    ],
    ['an array payload', 'PRESENCES', [{ user_id: '2' }]],
    ['a null payload', 'RESUMED', null],
    ['no payload', 'HEARTBEAT', undefined],
  ])('%s', (_name, t, d) => {
    const packet = encodeDispatch(t, 42, d);
    expect(packet).toBe(reference({ t, s: 42, d }));
    const decoded: unknown[] = [];
    const decoder = new Decoder();
    decoder.on('decoded', (p: { data?: unknown }) => void decoded.push(p.data));
    decoder.add(packet);
    expect(decoded).toEqual([['dispatch', d === undefined ? { t, s: 42 } : { t, s: 42, d }]]);
  });

  it('serializes one payload once for every session it goes to', () => {
    const d = { id: '7', content: 'same' };
    const first = encodeDispatch('MESSAGE_CREATE', 1, d);
    d.content = 'changed after the first session got it';
    // The second session gets the event as it was published, not a later mutation of the object.
    expect(encodeDispatch('MESSAGE_CREATE', 2, d)).toBe(first.replace('"s":1', '"s":2'));
  });
});
