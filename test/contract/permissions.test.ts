/**
 * The contract sweep of API.md's permission computation, step by step in its order. See harness.ts
 * for what the sweep is and how to run it against another instance.
 */

import { bits, makeChannel, makeRole, overwrite, ownerAndMember, P, send } from './fixtures.js';
import { call, formatsEverywhere, sweep } from './harness.js';
import { type Json } from './shapes.js';

describe('permission computation', () => {
  sweep(
    'owner, base, ADMINISTRATOR, @everyone / role / member overwrites in order, threads inherit',
    60_000,
    async (s) => {
      const { owner, m, server } = await ownerAndMember(s);
      const ch = await makeChannel(owner, server.id, 'perm');
      const roleA = await makeRole(owner, server.id, 'a');
      const roleB = await makeRole(owner, server.id, 'b');
      await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${roleA.id}`, owner);
      await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${roleB.id}`, owner);
      const canSend = async (what: string, expected: boolean) => {
        const res = await send(m, ch.id, { content: what });
        s.ok(
          res.status < 300 === expected,
          `${what}: send answered ${res.status}, expected ${expected ? 'success' : '403'}`,
        );
        if (!expected) s.error(res, 403, what);
      };
      const put = (id: string, type: 'role' | 'member', allow: bigint, deny: bigint) =>
        overwrite(owner, ch.id, id, deny, allow, type);

      await canSend('no overwrites', true);
      const deny = await put(server.id, 'role', 0n, P.SEND_MESSAGES);
      s.status(deny, 204, 'PUT @everyone overwrite');
      await canSend('@everyone denies SEND_MESSAGES', false);
      await put(roleA.id, 'role', 0n, P.SEND_MESSAGES);
      await put(roleB.id, 'role', P.SEND_MESSAGES, 0n);
      await canSend('role A denies, role B allows (role allows win together)', true);
      await put(m.id, 'member', 0n, P.SEND_MESSAGES);
      await canSend('member overwrite denies', false);
      s.status(
        await call('DELETE', `/channels/${ch.id}/permissions/${m.id}`, owner),
        204,
        'DELETE overwrite',
      );
      await canSend('member overwrite removed', true);
      const chGet = await call('GET', `/channels/${ch.id}`, owner);
      const ows = (chGet.body?.permission_overwrites ?? []) as Json[];
      s.ok(ows.length === 3, `permission_overwrites listed: ${JSON.stringify(ows)}`);
      for (const o of ows) {
        s.snowflake(o.id, 'overwrite.id');
        s.perms(o.allow, 'overwrite.allow');
        s.perms(o.deny, 'overwrite.deny');
        s.ok(o.type === 'role' || o.type === 'member', `overwrite.type ${o.type}`);
      }
      s.invalid(
        await call('PUT', `/channels/${ch.id}/permissions/${m.id}`, owner, { type: 'nope', allow: 'x' }),
        'bad overwrite',
        'type',
        'allow',
      );

      // Hidden channel: 404 for the member, not 403; ADMINISTRATOR sees through overwrites.
      await put(server.id, 'role', 0n, P.VIEW_CHANNEL);
      s.error(await call('GET', `/channels/${ch.id}`, m), 404, 'a channel without VIEW_CHANNEL');
      s.error(await call('GET', `/channels/${ch.id}/messages`, m), 404, 'history without VIEW_CHANNEL');
      const listed = ((await call('GET', `/servers/${server.id}/channels`, m)).body as Json[]) ?? [];
      s.ok(!listed.some((c) => c.id === ch.id), 'a hidden channel is not listed');
      await call('PATCH', `/servers/${server.id}/roles/${roleA.id}`, owner, {
        permissions: bits(P.ADMINISTRATOR),
      });
      s.status(await call('GET', `/channels/${ch.id}`, m), 200, 'ADMINISTRATOR sees a hidden channel');
      await call('PATCH', `/servers/${server.id}/roles/${roleA.id}`, owner, { permissions: '0' });
      s.status(await call('GET', `/channels/${ch.id}`, owner), 200, 'the owner sees everything');

      // A thread inherits its parent's permissions.
      await call('DELETE', `/channels/${ch.id}/permissions/${server.id}`, owner);
      const thread = await call('POST', `/channels/${ch.id}/threads`, owner, { name: 'inherit' });
      s.oneOf(thread, [200, 201], 'POST threads');
      s.status(await call('GET', `/channels/${thread.body?.id}`, m), 200, 'thread visible with its parent');
      await put(server.id, 'role', 0n, P.VIEW_CHANNEL);
      s.error(await call('GET', `/channels/${thread.body?.id}`, m), 404, 'thread hidden with its parent');
    },
  );
});

formatsEverywhere(10);
