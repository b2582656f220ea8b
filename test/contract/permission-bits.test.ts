/**
 * The contract sweep of permissions one bit at a time: each bit API.md lists gates its action, and a
 * 403 names it. See harness.ts for what the sweep is and how to run it against another instance.
 */
import type { ApiResponse } from '../helpers/accounts.js';
import { makeChannel, ownerAndMember, P, send, sendWithFile } from './fixtures.js';
import { call, formatsEverywhere, sweep } from './harness.js';
import { type Json } from './shapes.js';

describe('one permission at a time', () => {
  sweep('each bit API.md lists gates its action, and a 403 names it', async (s) => {
    const { owner, m, server } = await ownerAndMember(s);
    const ch = await makeChannel(owner, server.id, 'bits');
    const msg = (await send(owner, ch.id, { content: 'target' })).body;
    const thread = (await call('POST', `/channels/${ch.id}/threads`, owner, { name: 'bits-thread' })).body;
    const deny = (bit: bigint) =>
      call('PUT', `/channels/${ch.id}/permissions/${server.id}`, owner, {
        type: 'role',
        allow: '0',
        deny: bit.toString(),
      });
    const named = async (what: string, res: Promise<ApiResponse>, permission: string) => {
      const r = await res;
      s.error(r, 403, what);
      s.ok(
        JSON.stringify(r.body ?? {}).includes(permission),
        `${what}: the 403 does not name ${permission}: ${JSON.stringify(r.body)}`,
      );
    };
    await deny(P.ADD_REACTIONS);
    await named(
      'react without ADD_REACTIONS',
      call('PUT', `/channels/${ch.id}/messages/${msg.id}/reactions/${encodeURIComponent('👍')}/@me`, m),
      'ADD_REACTIONS',
    );
    await deny(P.ATTACH_FILES);
    const upload = await sendWithFile(m, ch.id, 'file');
    const uploadBody = upload.body;
    s.ok(
      upload.status === 403 && JSON.stringify(uploadBody).includes('ATTACH_FILES'),
      `a file without ATTACH_FILES: ${upload.status} ${JSON.stringify(uploadBody)}`,
    );
    await deny(P.READ_MESSAGE_HISTORY);
    const history = await call('GET', `/channels/${ch.id}/messages`, m);
    s.ok(
      history.status === 403 ||
        (history.status === 200 && Array.isArray(history.body) && history.body.length === 0),
      `history without READ_MESSAGE_HISTORY: ${history.status} ${JSON.stringify(history.body).slice(0, 100)}`,
    );
    await deny(P.CREATE_INVITE);
    await named(
      'invite without CREATE_INVITE',
      call('POST', `/channels/${ch.id}/invites`, m, {}),
      'CREATE_INVITE',
    );
    await deny(P.CREATE_THREADS);
    await named(
      'thread without CREATE_THREADS',
      call('POST', `/channels/${ch.id}/threads`, m, { name: 'x' }),
      'CREATE_THREADS',
    );
    // Threads: SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES, is what posting in a thread takes.
    await deny(P.SEND_MESSAGES);
    const inThread = await send(m, thread.id, { content: 'thread talk' });
    s.ok(
      inThread.status < 300,
      `posting in a thread with SEND_MESSAGES denied in the parent: ${inThread.status} ${JSON.stringify(inThread.body)}`,
    );
    await deny(P.SEND_MESSAGES_IN_THREADS);
    await named(
      'post in a thread without SEND_MESSAGES_IN_THREADS',
      send(m, thread.id, { content: 'x' }),
      'SEND_MESSAGES_IN_THREADS',
    );
    // MENTION_EVERYONE: without it @everyone is text, not a mention.
    await deny(P.MENTION_EVERYONE);
    await call('DELETE', `/channels/${ch.id}/permissions/${server.id}`, owner);
    await call('PUT', `/channels/${ch.id}/permissions/${server.id}`, owner, {
      type: 'role',
      allow: '0',
      deny: P.MENTION_EVERYONE.toString(),
    });
    const everyone = await send(m, ch.id, { content: '@everyone look' });
    s.ok(
      everyone.status === 403 || everyone.body?.mention_everyone === false,
      `@everyone without MENTION_EVERYONE: ${everyone.status} mention_everyone=${everyone.body?.mention_everyone}`,
    );
    // CHANGE_NICKNAME: one's own nick.
    const everyoneRole = ((await call('GET', `/servers/${server.id}/roles`, owner)).body as Json[]).find(
      (r) => r.id === server.id,
    );
    const base = BigInt(everyoneRole.permissions);
    await call('PATCH', `/servers/${server.id}/roles/${server.id}`, owner, {
      permissions: (base & ~P.CHANGE_NICKNAME).toString(),
    });
    await named(
      'own nick without CHANGE_NICKNAME',
      call('PATCH', `/servers/${server.id}/members/@me`, m, { nick: 'me' }),
      'CHANGE_NICKNAME',
    );
    await call('PATCH', `/servers/${server.id}/roles/${server.id}`, owner, { permissions: base.toString() });
    s.status(
      await call('PATCH', `/servers/${server.id}/members/@me`, m, { nick: 'me' }),
      200,
      'own nick with CHANGE_NICKNAME',
    );
  });
});

formatsEverywhere(10);
