/** What every client command's ack receives: `ok` plus the result, or the error body of API.md. */
export type CommandAck =
  | ({ ok: true } & Record<string, unknown>)
  | ({ ok: false; code: string; message: string; errors?: Record<string, string> } & Record<string, unknown>);
