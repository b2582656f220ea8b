import type { DispatchFrame } from '../../../shared/events/index.js';
import { useTestApp } from '../../helpers/app.js';
import { DoomedApis } from '../../helpers/doomed-api.js';
import { useGateways, makeWorld } from '../messages/pipeline-helpers.js';

// Channel commands leave their effects in the outbox: an API process killed right after the
// commit of a channel's creation (before it relayed anything) loses no event, because the relay
// loop of the workers relays the row it left. A command that published by hand after the commit
// would lose CHANNEL_CREATE here.

const doomed = new DoomedApis(() => app.config);

const app = useTestApp({}, 60000);
const gw = useGateways(app);

afterAll(async () => {
  await doomed.killAll();
});

it('CHANNEL_CREATE still arrives when the API dies between the commit and the relay', async () => {
  const w = await makeWorld(app);
  const client = await gw.connect(w.owner);
  // The process kills itself after the commit: no answer.
  await doomed.send(w.owner.token, 'POST', `/servers/${w.serverId}/channels`, {
    name: 'survivor',
    channel_type: 'text',
  });

  const stored = await app.rt.models.Channel.findOne({ where: { server_id: w.serverId, name: 'survivor' } });
  expect(stored).not.toBeNull();
  const created = (f: DispatchFrame) =>
    f.t === 'CHANNEL_CREATE' && (f.d as { name: string }).name === 'survivor';
  // The relay loop takes rows older than RELAY_GRACE_MS (5 s).
  await client.waitForFrames(1, created, 20000);
  expect(client.frames.find(created)?.d).toMatchObject({ id: stored?.id, name: 'survivor' });
}, 60000);
