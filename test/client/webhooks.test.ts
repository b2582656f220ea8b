import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../client/src/webhooks.js';
import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { startLocalServer, type LocalServer } from '../helpers/http-server.js';
import { sdkServer, sdkUser } from './helpers.js';

let receiver: LocalServer;
/** What the receiver got: the signature header and the raw body, as sent. */
const deliveries: { signature: string | undefined; body: Buffer }[] = [];
let delivered: (() => void) | null = null;

const app = useTestApp(
  {
    // The receiver listens on loopback, which outgoing webhooks refuse unless allowed.
    config: testConfig({ outbound: { allow_private: ['127.0.0.0/8'] } }),
    gateway: false,
  },
  60_000,
);
beforeAll(async () => {
  receiver = await startLocalServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        body: Buffer.concat(chunks),
      });
      res.writeHead(204).end();
      delivered?.();
    });
  });
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

describe('webhook signature verifier', () => {
  it('accepts what the server really signs and refuses any change, an old timestamp or another secret', async () => {
    const { client } = await sdkUser(app);
    const { server, channel } = await sdkServer(client, 'Hooks');
    const hook = await client.rest.request('POST /servers/{server_id}/event-webhooks', {
      params: { server_id: server.id },
      body: { url: `${receiver.origin}/events`, events: ['MESSAGE_CREATE'] },
    });
    const arrived = new Promise<void>((resolve) => (delivered = resolve));
    await client.rest.request('POST /channels/{channel_id}/messages', {
      params: { channel_id: channel.id },
      body: { content: 'signed, sealed, delivered' },
    });
    await arrived;
    const { signature, body } = deliveries[0]!;
    expect(JSON.parse(body.toString('utf8'))).toMatchObject({
      type: 'MESSAGE_CREATE',
      data: { content: 'signed, sealed, delivered' },
    });

    const valid = await verifyWebhookSignature(hook.secret, signature, body);
    expect(valid).toEqual({ valid: true, timestamp: expect.any(Number) });
    await expect(
      verifyWebhookSignature(hook.secret, signature, body.toString('utf8')),
    ).resolves.toMatchObject({
      valid: true,
    });

    const tampered = body.toString('utf8').replace('sealed', 'forged');
    await expect(verifyWebhookSignature(hook.secret, signature, tampered)).resolves.toEqual({
      valid: false,
      reason: 'mismatch',
    });
    await expect(verifyWebhookSignature(`${hook.secret}x`, signature, body)).resolves.toEqual({
      valid: false,
      reason: 'mismatch',
    });
    const later = (valid.valid ? valid.timestamp : 0) + 301;
    await expect(verifyWebhookSignature(hook.secret, signature, body, { now: later })).resolves.toEqual({
      valid: false,
      reason: 'expired',
    });
    await expect(verifyWebhookSignature(hook.secret, undefined, body)).resolves.toEqual({
      valid: false,
      reason: 'missing',
    });
    await expect(verifyWebhookSignature(hook.secret, 't=1,v1=zz', body)).resolves.toEqual({
      valid: false,
      reason: 'malformed',
    });
  });
});
