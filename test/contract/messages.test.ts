/**
 * The contract sweep of channels and messages: the message shape, Markdown, mentions, replies, edits
 * and deletes, history pages, pins, reactions, typing, threads and search. See harness.ts for what
 * the sweep is and how to run it against another instance.
 */

import { GHOST, makeChannel, ownerAndMember, ownerWithServer, send } from './fixtures.js';
import { call, eventually, formatsEverywhere, sweep } from './harness.js';
import { checkMessage, idsOf, type Json, listIn, mapped } from './shapes.js';

// Bodies are the checker's `Json` (harness.ts), read field by field: lambdas picking a field return `any`.
/* eslint-disable @typescript-eslint/no-unsafe-return */

describe('channels and messages', () => {
  sweep('message shape, markdown, mentions, replies, edits, deletes', 60_000, async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const role = (
      await call('POST', `/servers/${server.id}/roles`, owner, {
        name: 'pingable',
        permissions: '0',
        mentionable: true,
      })
    ).body;
    const first = await send(owner, general.id, {
      content: `**bold** <script>alert(1)</script> hi <@${m.id}> <@&${role.id}> @everyone`,
      nonce: 'n-1',
    });
    s.oneOf(first, [200, 201], 'send');
    const msg = first.body;
    checkMessage(s, msg, 'sent message');
    s.eq(msg?.author_id, owner.id, 'author_id');
    s.eq(msg?.type, 'default', 'type of a plain message');
    s.eq(msg?.nonce, 'n-1', 'nonce echoed');
    s.ok(
      /<strong>bold<\/strong>/.test(msg?.content_html ?? ''),
      `content_html renders Markdown: ${msg?.content_html}`,
    );
    s.ok(!/<script/i.test(msg?.content_html ?? ''), `content_html is not sanitized: ${msg?.content_html}`);
    s.eq(
      (msg?.mentions ?? []).map((u: Json) => (typeof u === 'string' ? u : u.id)),
      [m.id],
      'mentions',
    );
    s.eq(msg?.mention_roles, [role.id], 'mention_roles');
    s.eq(msg?.mention_everyone, true, 'mention_everyone');
    s.eq(
      [msg?.reply_to, msg?.thread_id, msg?.webhook_id, msg?.edited_at],
      [null, null, null, null],
      'null fields of a plain message',
    );

    const reply = await send(m, general.id, { content: 'answer', reply_to: msg.id });
    s.eq(reply.body?.type, 'reply', 'type of a reply');
    s.eq(reply.body?.reply_to, msg.id, 'reply_to');
    s.invalid(
      await send(m, general.id, { content: 'x', reply_to: GHOST }),
      'reply to an unknown message',
      'reply_to',
    );
    s.invalid(await send(m, general.id, {}), 'an empty message', 'content');
    s.invalid(await send(m, general.id, { content: 'x'.repeat(5000) }), 'a too long message', 'content');

    const got = await call('GET', `/channels/${general.id}/messages/${msg.id}`, m);
    s.status(got, 200, 'GET one message');
    checkMessage(s, got.body, 'fetched message');
    s.eq(got.body?.content, msg.content, 'fetched content');

    // Edit: author only; edited_at set in unix seconds.
    s.error(
      await call('PATCH', `/channels/${general.id}/messages/${msg.id}`, m, { content: 'hijack' }),
      403,
      'edit by a non-author',
    );
    const edit = await call('PATCH', `/channels/${general.id}/messages/${msg.id}`, owner, {
      content: 'edited',
    });
    s.status(edit, 200, 'PATCH message');
    s.eq(edit.body?.content, 'edited', 'edit answer content');
    s.ok(
      Number.isInteger(edit.body?.edited_at) && edit.body.edited_at >= msg.created_at,
      `edited_at ${edit.body?.edited_at}`,
    );
    s.ok(Math.abs((edit.body?.edited_at ?? 0) - Date.now() / 1000) < 60, 'edited_at is unix seconds, now');
    // Delete: author, or MANAGE_MESSAGES.
    s.error(
      await call('DELETE', `/channels/${general.id}/messages/${msg.id}`, m),
      403,
      'delete by another without MANAGE_MESSAGES',
    );
    s.status(
      await call('DELETE', `/channels/${general.id}/messages/${reply.body.id}`, owner),
      204,
      'delete by MANAGE_MESSAGES',
    );
    s.error(
      await call('GET', `/channels/${general.id}/messages/${reply.body.id}`, owner),
      404,
      'a deleted message',
    );
  });

  sweep('history pagination: limit, before, after, order', 60_000, async (s) => {
    const { owner, server } = await ownerWithServer(s);
    const ch = await makeChannel(owner, server.id, 'pages');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await send(owner, ch.id, { content: `m${i}` })).body.id);
    const asc = [...ids];
    const desc = [...ids].reverse();
    const page = async (q: string) =>
      mapped((await call('GET', `/channels/${ch.id}/messages${q}`, owner)).body, (x) => x.id);
    s.eq(await page(''), desc, 'no cursor: newest first');
    s.eq(await page('?limit=2'), desc.slice(0, 2), 'limit=2');
    s.eq(await page(`?before=${ids[3]}&limit=2`), [ids[2], ids[1]], 'before: newest first');
    s.eq(await page(`?after=${ids[1]}&limit=2`), [ids[2], ids[3]], 'after: oldest first');
    s.eq(await page(`?after=${ids[1]}`), asc.slice(2), 'after without limit');
    s.eq(await page('?after=0'), asc, 'after=0: everything oldest first');
    for (const q of ['?limit=0', '?limit=101', '?limit=abc']) {
      s.invalid(await call('GET', `/channels/${ch.id}/messages${q}`, owner), `history ${q}`, 'limit');
    }
    s.invalid(
      await call('GET', `/channels/${ch.id}/messages?before=xyz`, owner),
      'history before=xyz',
      'before',
    );
    s.eq(((await page('?limit=100')) as string[] | undefined)?.length, 6, 'limit=100 allowed');
    // Bulk delete: 2-100 ids, MANAGE_MESSAGES.
    s.invalid(
      await call('POST', `/channels/${ch.id}/messages/bulk-delete`, owner, { messages: [ids[0]] }),
      'bulk-delete one id',
      'messages',
    );
    s.status(
      await call('POST', `/channels/${ch.id}/messages/bulk-delete`, owner, { messages: [ids[0], ids[1]] }),
      204,
      'bulk-delete',
    );
    s.eq(await page('?after=0'), asc.slice(2), 'bulk-deleted messages gone');
  });

  sweep('pins, reactions, typing, threads, search', 60_000, async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const msg = (await send(owner, general.id, { content: 'findme pinnable' })).body;

    s.status(await call('PUT', `/channels/${general.id}/pins/${msg.id}`, owner), 204, 'PUT pin');
    const pins = await call('GET', `/channels/${general.id}/pins`, m);
    s.status(pins, 200, 'GET pins');
    s.eq(idsOf(pins.body), [msg.id], 'pins list');
    s.eq((pins.body as Json[])?.[0]?.pinned, true, 'pinned flag');
    const hist = ((await call('GET', `/channels/${general.id}/messages?limit=5`, m)).body as Json[]) ?? [];
    s.eq(hist[0]?.type, 'pin_added', 'pinning posts a pin_added system message');
    s.error(await call('PUT', `/channels/${general.id}/pins/${msg.id}`, m), 403, 'pin without permission');
    s.status(await call('DELETE', `/channels/${general.id}/pins/${msg.id}`, owner), 204, 'DELETE pin');

    const thumbs = encodeURIComponent('👍');
    s.status(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}/@me`, m),
      204,
      'PUT reaction',
    );
    s.status(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}/@me`, owner),
      204,
      'PUT reaction (2)',
    );
    const seenByM = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, m)).body;
    s.eq(seenByM?.reactions, [{ emoji: '👍', count: 2, me: true }], 'reactions [{emoji,count,me}]');
    await call('DELETE', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}/@me`, owner);
    const seenByOwner = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, owner)).body;
    s.eq(seenByOwner?.reactions, [{ emoji: '👍', count: 1, me: false }], 'reactions after removing mine');
    const who = await call('GET', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}`, owner);
    s.status(who, 200, 'GET reaction users');
    s.eq(idsOf(who.body), [m.id], 'users who reacted');
    s.invalid(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/not-an-emoji/@me`, m),
      'a bad emoji',
      'emoji',
    );

    s.status(await call('POST', `/channels/${general.id}/typing`, m), 204, 'POST typing');

    // Threads from a message, and without one; joining and leaving.
    const fromMsg = await call('POST', `/channels/${general.id}/messages/${msg.id}/threads`, m, {
      name: 'about it',
    });
    s.status(fromMsg, 201, 'POST message thread');
    s.ok(
      fromMsg.body?.id && fromMsg.body?.parent_id === general.id,
      `thread parent_id ${fromMsg.body?.parent_id}`,
    );
    s.created(fromMsg.body, 'thread');
    const withThread = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, owner)).body;
    s.eq(withThread?.thread_id, fromMsg.body?.id, 'the message carries thread_id');
    const after =
      ((await call('GET', `/channels/${general.id}/messages?limit=3`, owner)).body as Json[]) ?? [];
    s.ok(
      after.some((x) => x.type === 'thread_created'),
      `thread_created system message (${JSON.stringify(after.map((x) => x.type))})`,
    );
    const loose = await call('POST', `/channels/${general.id}/threads`, owner, { name: 'loose' });
    s.status(loose, 201, 'POST thread without message');
    s.status(await call('PUT', `/channels/${loose.body?.id}/thread-members/@me`, m), 204, 'join thread');
    s.status(await call('DELETE', `/channels/${loose.body?.id}/thread-members/@me`, m), 204, 'leave thread');
    const inThread = await send(m, fromMsg.body?.id, { content: 'in the thread' });
    s.ok(inThread.status < 300, `send in thread: ${inThread.status}`);

    // Search: only what the caller can read.
    const found = await eventually(async () => {
      const res = await call('GET', `/servers/${server.id}/messages/search?content=findme`, m);
      const list = listIn(res.body, 'messages');
      return list?.length ? res : undefined;
    }, 5000);
    s.ok(found, 'search finds the message');
    const list = listIn(found?.body, 'messages');
    s.eq(
      list?.map((x) => x.id),
      [msg.id],
      'search result',
    );
    const byAuthor = await call('GET', `/servers/${server.id}/messages/search?author_id=${m.id}`, owner);
    const byAuthorList = listIn(byAuthor.body, 'messages');
    s.ok(
      byAuthorList?.every((x) => x.author_id === m.id),
      'search by author_id',
    );
    s.invalid(
      await call('GET', `/servers/${server.id}/messages/search?has=nothing`, owner),
      'search has=nothing',
      'has',
    );
  });
});

formatsEverywhere(20);
