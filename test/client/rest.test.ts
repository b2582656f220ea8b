import {
  Client,
  PlexichatError,
  isPlexichatError,
  isStoredMessage,
  type Schemas,
} from '../../client/src/index.js';
import { useTestApp } from '../helpers/app.js';
import { png } from '../helpers/media.js';
import { sdkServer, sdkUser } from './helpers.js';

const app = useTestApp({ gateway: false }, 60_000);

describe('REST client', () => {
  it('registers, signs in, creates a server, sends and reads history page by page', async () => {
    const { client: first, username, password, id } = await sdkUser(app);
    // A second client signs in with the password and gets its own token.
    const client = new Client({ baseUrl: app.origin });
    const login = await client.login(username, password);
    expect('token' in login && login.user.id).toBe(id);
    const me: Schemas['SelfUser'] = await client.rest.getUsersMe();
    expect(me).toMatchObject({ id, username });

    const { server, channel } = await sdkServer(first, 'Typed end to end');
    expect(server.name).toBe('Typed end to end');
    const sent: Schemas['Message'][] = [];
    for (const content of ['one', 'two', 'three', 'four', 'five']) {
      const message = await first.rest.request('POST /channels/{channel_id}/messages', {
        params: { channel_id: channel.id },
        body: { content },
      });
      if (!isStoredMessage(message)) throw new Error(`not stored yet: ${JSON.stringify(message)}`);
      expect(message).toMatchObject({ content, channel_id: channel.id, author_id: id });
      sent.push(message);
    }

    // Newest first, two at a time, following the cursor down to the oldest.
    const pages: string[][] = [];
    let before: string | undefined;
    for (;;) {
      const page = await first.rest.getChannelsChannelIdMessages({
        params: { channel_id: channel.id },
        query: { limit: 2, ...(before ? { before } : {}) },
      });
      if (page.length === 0) break;
      pages.push(page.map((m) => m.content ?? ''));
      before = page[page.length - 1]?.id;
    }
    expect(pages.flat().filter((c) => sent.some((m) => m.content === c))).toEqual([
      'five',
      'four',
      'three',
      'two',
      'one',
    ]);
    expect(pages[0]).toEqual(['five', 'four']);
  });

  it('walks a paged list to its end, oldest or newest first, by id or by user id', async () => {
    const { client, id } = await sdkUser(app);
    const { server, channel } = await sdkServer(client, 'Paged');
    const params = { channel_id: channel.id };
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) {
      const message = await client.rest.request('POST /channels/{channel_id}/messages', {
        params,
        body: { content: `m${i}` },
      });
      if (!isStoredMessage(message)) throw new Error('not stored yet');
      sent.push(message.id);
    }
    const walk = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
      const seen: T[] = [];
      for await (const item of items) seen.push(item);
      return seen;
    };
    // Pages of 3: a last page of 1 ends the walk; the ids come in order with none twice.
    const oldest = await walk(
      client.rest.paginate('GET /channels/{channel_id}/messages', { params, query: { limit: 3 } }),
    );
    expect(oldest.map((m) => m.id).filter((m) => sent.includes(m))).toEqual(sent);
    expect(new Set(oldest.map((m) => m.id)).size).toBe(oldest.length);
    const newest = await walk(
      client.rest.paginate(
        'GET /channels/{channel_id}/messages',
        { params, query: { limit: 3 } },
        { order: 'newest' },
      ),
    );
    expect(newest.map((m) => m.id)).toEqual(oldest.map((m) => m.id).reverse());
    // From a cursor, both ways.
    const after = await walk(
      client.rest.paginate('GET /channels/{channel_id}/messages', {
        params,
        query: { limit: 2, after: sent[4]! },
      }),
    );
    expect(after.map((m) => m.id)).toEqual(sent.slice(5));
    const before = await walk(
      client.rest.paginate(
        'GET /channels/{channel_id}/messages',
        { params, query: { limit: 2, before: sent[2]! } },
        { order: 'newest' },
      ),
    );
    expect(before.map((m) => m.id).filter((m) => sent.includes(m))).toEqual(sent.slice(0, 2).reverse());

    // Members are paged by their user's id.
    const invite = await client.rest.request('POST /channels/{channel_id}/invites', { params, body: {} });
    const joined = [id];
    for (let i = 0; i < 4; i++) {
      const guest = await sdkUser(app);
      await guest.client.rest.request('POST /invites/{code}', { params: { code: invite.code } });
      joined.push(guest.id);
    }
    const members = await walk(
      client.rest.paginate('GET /servers/{server_id}/members', {
        params: { server_id: server.id },
        query: { limit: 2 },
      }),
    );
    expect(members.map((m) => m.user.id)).toEqual(
      [...joined].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
    );
  });

  it('turns a refused request into a PlexichatError with the code and every offending field', async () => {
    const { client } = await sdkUser(app);
    const { channel } = await sdkServer(client);
    const invalid = await client.rest
      .request('POST /servers/{server_id}/channels', {
        params: { server_id: channel.server_id ?? '' },
        body: { name: '', channel_type: 'nonsense' as 'text' },
      })
      .catch((err: unknown) => err);
    expect(invalid).toBeInstanceOf(PlexichatError);
    const error = invalid as PlexichatError;
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_error');
    expect(Object.keys(error.errors).sort()).toEqual(['channel_type', 'name']);

    const stranger = await sdkUser(app);
    const hidden = await stranger.client.rest
      .request('GET /channels/{channel_id}/messages', { params: { channel_id: channel.id } })
      .catch((err: unknown) => err);
    expect(isPlexichatError(hidden)).toBe(true);
    expect(hidden).toMatchObject({ status: 404, route: 'GET /channels/{channel_id}/messages' });

    const anonymous = new Client({ baseUrl: app.origin });
    await expect(anonymous.rest.getUsersMe()).rejects.toMatchObject({ status: 401 });
  });

  it('uploads a file, then sends it with a message, and sends files along with a message', async () => {
    const { client } = await sdkUser(app);
    const { channel } = await sdkServer(client);
    const image = new File([new Uint8Array(await png(32, 16))], 'red.png', { type: 'image/png' });
    const progress: [number, number][] = [];
    const [uploaded] = await client.rest.upload([image], {
      onUploadProgress: (loaded, total) => progress.push([loaded, total]),
    });
    expect(progress.at(-1)).toEqual([image.size, image.size]);
    expect(uploaded).toMatchObject({ filename: 'red.png', content_type: 'image/png', size: image.size });

    const withUpload = await client.rest.request('POST /channels/{channel_id}/messages', {
      params: { channel_id: channel.id },
      body: { content: 'see attached', attachments: [uploaded!.id] },
    });
    expect(withUpload).toMatchObject({ attachments: [{ id: uploaded!.id, filename: 'red.png' }] });

    const inline = await client.rest.request('POST /channels/{channel_id}/messages', {
      params: { channel_id: channel.id },
      body: { content: 'and inline' },
      files: [{ data: new Blob(['hello, file'], { type: 'text/plain' }), name: 'note.txt' }],
    });
    expect(inline).toMatchObject({
      content: 'and inline',
      attachments: [{ filename: 'note.txt', size: 11 }],
    });
    const stored = await fetch(new URL(inline.attachments[0]!.url, app.origin).toString());
    expect(await stored.text()).toBe('hello, file');
  });
});
