import { useTestApp } from '../../helpers/app.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import {
  Permission,
  addChannel,
  as,
  denyIn,
  makeWorld,
  member,
  person,
  seed,
  type Person,
  type World,
} from './pipeline-helpers.js';

const app = useTestApp({ gateway: false });

const search = (w: World, who: Person, query: string) =>
  as(app, who, 'GET', `/servers/${w.serverId}/messages/search?${query}`);
const ids = (body: { messages: MessageObject[] }) => body.messages.map((m) => m.id);

describe('search', () => {
  it('full text: whole words, any case, phrases and exclusions; newest first with total_results', async () => {
    const w = await makeWorld(app);
    const [a, b, c, d] = await seed(app, w.channelId, w.owner.id, [
      'Deploy the server tonight',
      'the deploy failed on the server',
      'deployment notes',
      'lunch?',
    ]);
    const res = await search(w, w.owner, 'content=DEPLOY');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ total_results: 2, messages: expect.any(Array) });
    expect(ids(res.body)).toEqual([b, a]);
    expect(res.body.messages[0]).toMatchObject({
      id: b,
      content: 'the deploy failed on the server',
      reactions: [],
    });
    expect(ids((await search(w, w.owner, `content=${encodeURIComponent('"deploy failed"')}`)).body)).toEqual([
      b,
    ]);
    expect(ids((await search(w, w.owner, `content=${encodeURIComponent('deploy -failed')}`)).body)).toEqual([
      a,
    ]);
    expect(ids((await search(w, w.owner, `content=${encodeURIComponent('lunch or notes')}`)).body)).toEqual([
      d,
      c,
    ]);
    expect((await search(w, w.owner, 'content=nothing')).body).toEqual({ total_results: 0, messages: [] });
  });

  it('filters by author, channel and has; they combine', async () => {
    const w = await makeWorld(app);
    const other = await addChannel(app, w, 'other');
    const bob = await member(app, w.serverId);
    const [link] = await seed(app, w.channelId, w.owner.id, ['see https://example.com/x']);
    const [bobLink, bobPlain] = await seed(app, w.channelId, bob.id, ['http://a.test now', 'plain words']);
    const [file] = await seed(app, other, bob.id, ['a picture'], { attachments: true });
    const [embed] = await seed(app, other, w.owner.id, ['preview'], { embeds: true });
    const [both] = await seed(app, other, w.owner.id, ['https://b.test'], { embeds: true });

    expect(ids((await search(w, w.owner, `author_id=${bob.id}`)).body)).toEqual([file, bobPlain, bobLink]);
    expect(ids((await search(w, w.owner, `channel_id=${other}`)).body)).toEqual([both, embed, file]);
    expect(ids((await search(w, w.owner, 'has=link')).body)).toEqual([both, bobLink, link]);
    expect(ids((await search(w, w.owner, 'has=file')).body)).toEqual([file]);
    expect(ids((await search(w, w.owner, 'has=embed')).body)).toEqual([both, embed]);
    expect(ids((await search(w, w.owner, 'has=embed&has=link')).body)).toEqual([both]);
    // Discord's kinds of file, by the attachment's type.
    const [clip] = await seed(app, other, bob.id, ['a clip'], { attachments: 'video/mp4' });
    const [song] = await seed(app, other, bob.id, ['a song'], { attachments: 'audio/ogg' });
    expect(ids((await search(w, w.owner, 'has=image')).body)).toEqual([file]);
    expect(ids((await search(w, w.owner, 'has=video')).body)).toEqual([clip]);
    expect(ids((await search(w, w.owner, 'has=sound')).body)).toEqual([song]);
    expect(ids((await search(w, w.owner, 'has=file')).body)).toEqual([song, clip, file]);
    expect(
      ids((await search(w, w.owner, `has=link&author_id=${bob.id}&channel_id=${w.channelId}`)).body),
    ).toEqual([bobLink]);
    // "http" in a word is not a link.
    await seed(app, w.channelId, w.owner.id, ['the http protocol']);
    expect((await search(w, w.owner, 'has=link')).body.total_results).toBe(3);
  });

  it('pages with limit (default 50, 1-100) and before/after cursors, like every list', async () => {
    const w = await makeWorld(app);
    const all = await seed(
      app,
      w.channelId,
      w.owner.id,
      Array.from({ length: 60 }, (_, i) => `word ${i}`),
    );
    await seed(app, w.channelId, w.owner.id, ['unrelated']);
    const newestFirst = [...all].reverse();
    const first = await search(w, w.owner, 'content=word');
    expect(first.body.total_results).toBe(60);
    expect(ids(first.body)).toEqual(newestFirst.slice(0, 50));
    expect(ids((await search(w, w.owner, 'content=word&limit=100')).body)).toEqual(newestFirst);

    // Walking backwards with `before` visits every match once, in order, and ends on an empty page.
    const walked: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await search(w, w.owner, `content=word&limit=7${before ? `&before=${before}` : ''}`);
      // The count is of every match, whatever the cursor: the late one counts once it exists.
      expect(page.body.total_results).toBe(pages <= 1 ? 60 : 61);
      if (page.body.messages.length === 0) break;
      walked.push(...ids(page.body));
      before = walked[walked.length - 1];
      // A match arriving mid-walk is newer than the cursor: it shifts no page, so nothing repeats.
      if (pages === 1) await seed(app, w.channelId, w.owner.id, ['word late']);
    }
    expect(walked).toEqual(newestFirst);
    expect(new Set(walked).size).toBe(walked.length);

    // Forwards with `after`: oldest first, again every match once.
    const late = ids((await search(w, w.owner, 'content=late')).body);
    expect(late).toHaveLength(1);
    const forwards: string[] = [];
    let after = '0';
    for (let pages = 0; pages < 20; pages++) {
      const page = await search(w, w.owner, `content=word&limit=9&after=${after}`);
      if (page.body.messages.length === 0) break;
      forwards.push(...ids(page.body));
      after = forwards[forwards.length - 1] as string;
    }
    expect(forwards).toEqual([...all, ...late]);

    // Both: the matches strictly between, oldest first.
    const between = await search(w, w.owner, `content=word&after=${all[10]}&before=${all[14]}`);
    expect(ids(between.body)).toEqual(all.slice(11, 14));
  });

  it('never shows or counts messages of channels the caller cannot read', async () => {
    const w = await makeWorld(app);
    const secret = await addChannel(app, w, 'secret');
    const history = await addChannel(app, w, 'no-history');
    const reader = await member(app, w.serverId);
    await denyIn(app, w, secret, reader, Permission.VIEW_CHANNEL);
    await denyIn(app, w, history, reader, Permission.READ_MESSAGE_HISTORY);
    const [open] = await seed(app, w.channelId, w.owner.id, ['treasure map']);
    await seed(app, secret, w.owner.id, ['treasure location', 'more treasure']);
    await seed(app, history, w.owner.id, ['old treasure']);

    const mine = await search(w, reader, 'content=treasure');
    expect(mine.body).toEqual({ total_results: 1, messages: [expect.objectContaining({ id: open })] });
    for (const channel of [secret, history]) {
      expect((await search(w, reader, `content=treasure&channel_id=${channel}`)).body).toEqual({
        total_results: 0,
        messages: [],
      });
      expect((await search(w, reader, `channel_id=${channel}`)).body.total_results).toBe(0);
    }
    expect((await search(w, reader, `author_id=${w.owner.id}`)).body.total_results).toBe(1);
    // The owner sees all four.
    expect((await search(w, w.owner, 'content=treasure')).body.total_results).toBe(4);
  });

  it('leaves system messages out', async () => {
    const w = await makeWorld(app);
    await seed(app, w.channelId, w.owner.id, ['renamed']);
    await app.rt.models.Message.create({
      id: app.rt.snowflake.next(),
      channel_id: w.channelId,
      author_id: w.owner.id,
      type: 'channel_name_change',
      content: 'renamed',
      created_at: new Date(),
    });
    expect((await search(w, w.owner, 'content=renamed')).body.total_results).toBe(1);
  });

  it('404 for non-members and unknown servers', async () => {
    const w = await makeWorld(app);
    const stranger = await person(app);
    const res = await search(w, stranger, 'content=x');
    expect([res.status, res.body.code]).toEqual([404, 'unknown_server']);
    expect((await as(app, w.owner, 'GET', '/servers/12345/messages/search')).status).toBe(404);
  });

  it.each([
    ['limit', 'limit=101'],
    ['limit', 'limit=0'],
    ['before', 'before=abc'],
    ['after', 'after=-1'],
    ['has', 'has=sticker'],
    ['author_id', 'author_id=abc'],
    ['channel_id', 'channel_id=1.5'],
    ['content', `content=${'x'.repeat(513)}`],
  ])('400 naming %s for %s', async (field, query) => {
    const w = await makeWorld(app);
    const res = await search(w, w.owner, query);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors).some((k) => k === field || k.startsWith(`${field}.`))).toBe(true);
  });
});
