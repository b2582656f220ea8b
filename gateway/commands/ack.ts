/** What every client command's ack receives (shared/command-ack.ts). */
export type { CommandAck } from '../../shared/command-ack.js';
