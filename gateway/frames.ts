import type { GatewaySocket } from './types.js';

/** Each event's `d` as JSON, serialized once however many sessions it goes to (keyed by the object). */
const encoded = new WeakMap<object, string>();

function encodeData(d: unknown): string {
  if (typeof d !== 'object' || d === null) return JSON.stringify(d);
  let json = encoded.get(d);
  if (json === undefined) {
    json = JSON.stringify(d);
    encoded.set(d, json);
  }
  return json;
}

/**
 * A `dispatch` frame ({t, s, d}) as the socket.io packet a `socket.emit('dispatch', frame)` would
 * encode (EVENT type 2, default namespace, no ack id: `2["dispatch",{...}]`). Only `s` differs
 * between sessions, so the payload is serialized once per event and spliced in per session.
 */
export function encodeDispatch(t: string, s: number, d: unknown): string {
  const data = d === undefined ? '' : `,"d":${encodeData(d)}`;
  return `2["dispatch",{"t":${JSON.stringify(t)},"s":${s}${data}}]`;
}

/** Writes a packet from encodeDispatch to the connection (engine.io frames it as a message). */
export function sendEncoded(socket: GatewaySocket, packet: string): void {
  socket.conn.write(packet);
}
