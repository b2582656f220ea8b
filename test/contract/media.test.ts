/**
 * The contract sweep of uploads, media and custom emoji. See harness.ts for what the sweep is and how
 * to run it against another instance.
 */

import { ownerWithServer, PNG, PNG_DATA_URL, pngForm, send } from './fixtures.js';
import { app, call, formatsEverywhere, postForm, postRaw, sweep } from './harness.js';
import { idsOf, type Json } from './shapes.js';

// Bodies are the checker's `Json` (harness.ts), read field by field: lambdas picking a field return `any`.
/* eslint-disable @typescript-eslint/no-unsafe-return */

describe('media and emoji', () => {
  sweep('uploads, media, emoji', async (s) => {
    const { owner, server, general } = await ownerWithServer(s);
    const upload = await postForm(owner, '/attachments', pngForm('file'));
    const att: Json = upload.body ?? {};
    s.oneOf(upload, [201, 200], 'POST /attachments');
    s.snowflake(att.id, 'attachment.id');
    s.has(att, ['filename', 'content_type', 'size', 'url'], 'attachment');
    s.eq(
      [att.filename, att.content_type, att.size, att.width, att.height],
      ['dot.png', 'image/png', PNG.length, 1, 1],
      'attachment fields',
    );
    const media = await fetch(
      att.url.startsWith('http')
        ? att.url.replace(/^https?:\/\/[^/]+/, app.origin)
        : `${app.origin}${att.url}`,
      { redirect: 'manual' },
    );
    s.ok(media.status === 200 || (media.status >= 300 && media.status < 400), `GET media: ${media.status}`);
    const withFile = await send(owner, general.id, { content: 'file', attachments: [att.id] });
    s.eq(
      withFile.body?.attachments?.map((x: Json) => x.id),
      [att.id],
      'message attachments',
    );
    const empty = await postRaw('/attachments', owner, new FormData());
    s.ok(empty.status === 400, `POST /attachments with no file: ${empty.status}`);
    const notForm = await call('POST', '/attachments', owner, { file: 'x' });
    s.error(notForm, 415, 'POST /attachments as JSON');

    const emoji = await call('POST', `/servers/${server.id}/emojis`, owner, {
      name: 'dot',
      image: PNG_DATA_URL,
    });
    s.status(emoji, 201, 'POST emoji');
    s.created(emoji.body, 'emoji');
    s.ok(typeof emoji.body?.url === 'string', 'emoji.url');
    const list = await call('GET', `/servers/${server.id}/emojis`, owner);
    s.eq(idsOf(list.body), [emoji.body?.id], 'GET emojis');
    const renamed = await call('PATCH', `/servers/${server.id}/emojis/${emoji.body?.id}`, owner, {
      name: 'dot2',
    });
    s.status(renamed, 200, 'PATCH emoji');
    s.eq(renamed.body?.name, 'dot2', 'renamed emoji');
    const custom = encodeURIComponent(`dot2:${emoji.body?.id}`);
    const msg = (await send(owner, general.id, { content: 'react' })).body;
    s.status(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/${custom}/@me`, owner),
      204,
      'react with name:id',
    );
    const reacted = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, owner)).body;
    s.eq(reacted?.reactions?.length, 1, 'custom emoji reaction listed');
    s.status(
      await call('DELETE', `/servers/${server.id}/emojis/${emoji.body?.id}`, owner),
      204,
      'DELETE emoji',
    );
  });
});

formatsEverywhere(5);
