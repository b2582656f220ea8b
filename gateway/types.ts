import type { Namespace, Server, Socket } from 'socket.io';
import type { DispatchFrame } from '../shared/events/index.js';

/** Events the gateway sends to clients. */
export interface ServerToClientEvents {
  dispatch: (frame: DispatchFrame) => void;
}

/** Commands clients send (each with an ack); gateway/commands validates their payloads. */
export type ClientToServerEvents = Record<string, never>;

/** Per-connection state kept on `socket.data`. */
export interface ConnectionData {
  /** The gateway session (what READY's session_id names; resume uses it). Its seq lives in the registry. */
  sessionId: string;
  userId: string;
  /** The auth session of the token the connection used (revoking it closes the connection). */
  authSessionId: string;
  kind: 'user' | 'bot';
  /** A bot's gateway intents from its handshake (gateway/intents.ts); null for users, who get everything. */
  intents: number | null;
  /** The intents its application lets the bot have now (a resumed session's are masked by them). */
  grantableIntents: number | null;
  /** The client's IP as the IP rules saw it. */
  ip: string;
}

export type GatewayServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  ConnectionData
>;
export type GatewayNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  ConnectionData
>;
export type GatewaySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  ConnectionData
>;
