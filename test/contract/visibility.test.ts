/**
 * The contract sweep of who sees what: search, presences and DMs reach only those who may see them;
 * metrics only for admins. See harness.ts for what the sweep is and how to run it against another
 * instance.
 */

import { makeChannel, overwrite, ownerAndMember, P, register, send } from './fixtures.js';
import {
  adminToken,
  app,
  call,
  type Caller,
  connect,
  eventually,
  formatsEverywhere,
  frameOf,
  sweep,
} from './harness.js';
import { idsOf, type Json, listIn } from './shapes.js';

describe('who sees what', () => {
  sweep(
    'search, presences and DMs reach only those who may see them; metrics for admins in Prometheus format',
    async (s) => {
      const { owner, m, server, general } = await ownerAndMember(s);
      const stranger = await register(s);
      const hidden = await makeChannel(owner, server.id, 'vault');
      await overwrite(owner, hidden.id, server.id, P.VIEW_CHANNEL);
      const secret = (await send(owner, hidden.id, { content: 'zebracode hidden' })).body;
      const open = (await send(owner, general.id, { content: 'zebracode open' })).body;
      const results = async (who: Caller) => {
        const res = await call('GET', `/servers/${server.id}/messages/search?content=zebracode`, who);
        return idsOf(listIn(res.body, 'messages'));
      };
      const ownerSees = await eventually(
        async () => ((await results(owner)) as string[])?.length === 2 || undefined,
        5000,
      );
      s.ok(ownerSees, 'the owner finds both messages');
      s.eq(await results(m), [open.id], 'a member finds only what they can read');
      s.ok(secret.id, 'the hidden message was sent');
      const inHidden = await call('GET', `/servers/${server.id}/messages/search?channel_id=${hidden.id}`, m);
      s.eq(idsOf(inHidden.body?.messages ?? inHidden.body), [], 'search in a channel one cannot read');

      const gwStranger = await connect(stranger);
      const gwM = await connect(m);
      const gwOwner = await connect(owner);
      await gwM.command('presence_update', { status: 'dnd' });
      await gwOwner.waitForFrames(
        1,
        (f) => f.t === 'PRESENCE_UPDATE' && JSON.stringify(f.d).includes(m.id),
        5000,
      );
      const dm = (await call('POST', '/users/@me/channels', owner, { recipient_id: m.id })).body;
      const dmMsg = (await send(owner, dm.id, { content: 'just us' })).body;
      const reached = 'the DM did not reach its recipient';
      await frameOf(s, gwM, 'MESSAGE_CREATE', (d) => d.id === dmMsg.id, 5000, reached);
      // The stranger shares nothing with them: a marker of their own shows their stream is live.
      const notes = (await call('GET', '/users/@me/notes', stranger)).body;
      const mark = (await send(stranger, notes.id, { content: 'mine' })).body;
      await gwStranger.waitForFrames(
        1,
        (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === mark.id,
        5000,
      );
      const leaks = gwStranger.frames.filter(
        (f) => JSON.stringify(f.d).includes(m.id) || JSON.stringify(f.d).includes(dm.id),
      );
      s.eq(
        leaks.map((f) => f.t),
        [],
        'a stranger received events of others',
      );
      s.error(await call('GET', `/channels/${dm.id}/messages`, stranger), 404, "someone else's DM");

      s.invalid(
        await call('POST', `/channels/${general.id}/messages/bulk-delete`, owner, {
          messages: Array.from({ length: 101 }, (_, i) => String(10n ** 17n + BigInt(i))),
        }),
        'bulk-delete 101 ids',
        'messages',
      );
      const admin = await adminToken(owner);
      if (admin) {
        const metrics = await fetch(`${app.origin}/metrics`, {
          headers: { authorization: `Bearer ${admin}` },
        });
        s.ok(metrics.status === 200, `GET /metrics as an admin: ${metrics.status}`);
        s.ok(
          (metrics.headers.get('content-type') ?? '').startsWith('text/plain'),
          `metrics content-type ${metrics.headers.get('content-type')}`,
        );
        s.ok(/^# (HELP|TYPE) /m.test(await metrics.text()), 'metrics in Prometheus text format');
      }
      const user = await fetch(`${app.origin}/metrics`, { headers: { authorization: `Bearer ${m.token}` } });
      s.ok(user.status === 403, `GET /metrics as a user: ${user.status}`);
    },
  );
});

formatsEverywhere(8);
