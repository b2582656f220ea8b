/**
 * A receive-only gateway client for the fan-out part's load generator: the socket.io v5 protocol
 * over engine.io v4's WebSocket transport, spoken directly over one `ws` connection (open packet,
 * namespace connect with `auth`, ping -> pong, event packets). socket.io-client costs the load
 * generator ~27 µs of CPU per delivery on the same two cores the server runs on (its transport,
 * parser and emitters per frame); this client parses each dispatch frame once and checks what a
 * user would: every frame's `s` is the previous one plus 1.
 */
import WebSocket from 'ws';
import type { Created } from './gateway-clients.js';

/** How long a client waits for READY before the bench gives up (rather than hang). */
const READY_TIMEOUT_MS = 60_000;

/** An open lean client. */
export interface LeanClient {
  /** Dispatch frames whose `s` was not the previous frame's plus 1. */
  readonly sequenceGaps: number;
  close(): void;
}

type Dispatch = { t: string; s: number; d: unknown };

/** Opens a lean client with `token`; resolves once it got READY. */
export function connectLean(
  origin: string,
  token: string,
  onMessage: (m: Created) => void,
): Promise<LeanClient> {
  const url = `${origin.replace(/^http/, 'ws')}/gateway/?EIO=4&transport=websocket`;
  // Frames are the server's own UTF-8 text: validating it again is the client's cost, not the server's.
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  let lastSeq = 0;
  const client = {
    sequenceGaps: 0,
    close: () => ws.terminate(),
  };
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`no READY within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    ws.on('error', fail);
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      switch (text.charAt(0)) {
        case '0': // engine.io open: connect the default namespace with the token
          ws.send(`40${JSON.stringify({ token })}`);
          return;
        case '2': // engine.io ping
          ws.send('3');
          return;
        case '1': // engine.io close
          fail(new Error('server closed the engine.io session'));
          return;
        case '4':
          break;
        default:
          return;
      }
      if (text[1] === '4') {
        fail(new Error(`gateway refused the connection: ${text.slice(2)}`));
        return;
      }
      if (text[1] !== '2') return; // 40 (namespace connected) and anything else carry no dispatch
      const [name, frame] = JSON.parse(text.slice(2)) as [string, Dispatch];
      if (name !== 'dispatch') return;
      if (frame.s !== lastSeq + 1) client.sequenceGaps += 1;
      lastSeq = frame.s;
      if (frame.t === 'READY') {
        clearTimeout(timer);
        resolve(client);
      } else if (frame.t === 'MESSAGE_CREATE') onMessage(frame.d as Created);
    });
  });
}
