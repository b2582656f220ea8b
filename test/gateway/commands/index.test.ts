import { registerUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';

const clients: GatewayClient[] = [];

const app = useTestApp();

afterAll(() => {
  for (const c of clients) c.close();
});

async function connected(): Promise<GatewayClient> {
  const c = await connectGateway(app.origin, { token: (await registerUser(app)).token });
  clients.push(c);
  return c;
}

describe('gateway commands', () => {
  it('an unknown command is acked unknown_command, naming it and the commands that exist', async () => {
    const c = await connected();
    const ack = await c.command('typing_stop', { channel_id: '1' });
    expect(ack).toMatchObject({ ok: false, code: 'unknown_command' });
    expect(ack.message).toContain('typing_stop');
    expect(ack.message).toContain('typing_start');
  });

  it('a command sent with an ack but no payload is a validation error naming the missing field', async () => {
    const c = await connected();
    const ack = await new Promise<Record<string, unknown>>((resolve) =>
      c.socket.emit('typing_start', (a: Record<string, unknown>) => resolve(a)),
    );
    expect(ack).toMatchObject({
      ok: false,
      code: 'validation_error',
      errors: { channel_id: expect.any(String) },
    });
  });
});
