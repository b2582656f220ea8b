import { invalidate } from '../../shared/domain/invalidation.js';
import type http from 'node:http';
import sharp from 'sharp';
import { proxyUrl } from '../../shared/net/proxy-url.js';
import { embedsJobId } from '../../shared/queues/index.js';
import { contentHash } from '../../shared/domain/messages/previews.js';
import { extractPreview, parseThemeColor } from '../../workers/processors/link-preview.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { startLocalServer, type LocalServer } from '../helpers/http-server.js';

const PREVIEW_MAX = 64 * 1024;

let app: TestApp;
let site: LocalServer;
let png: Buffer;
/** Requests the `/held` route is holding: answered only when a test says so. */
const held: http.ServerResponse[] = [];
/** Bytes the `/huge*` routes managed to send before the reader went away. */
const hugeSent: Record<string, number> = {};

function ogPage(title: string, extraHead = ''): string {
  return `<!doctype html><html><head>
<title>fallback title</title>
<meta property="og:title" content="${title}">
<meta property="og:description" content="A page about ${title}">
<meta property="og:image" content="/img.png">
<meta property="og:site_name" content="Local Site">
<meta name="theme-color" content="#3366ff">
${extraHead}</head><body><p>hello</p></body></html>`;
}

/** Streams `head`, then filler until 50 MiB or until the client hangs up. */
function streamHuge(name: string, head: string, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.write(head);
  hugeSent[name] = head.length;
  const filler = Buffer.alloc(16 * 1024, 'x');
  const pump = (): void => {
    while ((hugeSent[name] ?? 0) < 50 * 1024 * 1024) {
      hugeSent[name] = (hugeSent[name] ?? 0) + filler.length;
      if (!res.write(filler)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end('</body></html>');
  };
  res.on('close', () => res.off('drain', pump));
  pump();
}

const routes: Record<string, (res: http.ServerResponse) => void> = {
  '/img.png': (res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(png);
  },
  '/huge': (res) =>
    streamHuge('/huge', '<html><head><meta property="og:title" content="Huge but early"></head><body>', res),
  // The metadata comes only after the cap: never read.
  '/huge-late': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write('<html><head>');
    res.write(`<!-- ${'y'.repeat(PREVIEW_MAX * 2)} -->`);
    res.end('<meta property="og:title" content="Too late"></head></html>');
  },
  // A theme-color built to make a backtracking pattern try every split of two runs of spaces: the
  // former `\s*[, ]\s*` pattern was cubic here (8 s for runs of 1,000; hours for these).
  '/adversarial-color': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    const run = ' '.repeat(20_000);
    const color = `rgb(1${run}1${run}x`;
    res.end(ogPage('Adversarial').replace('#3366ff', color));
  },
  '/no-meta': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><head></head><body></body></html>');
  },
  '/file.zip': (res) => {
    res.writeHead(200, { 'content-type': 'application/zip' });
    res.end('PK');
  },
  '/held': (res) => {
    held.push(res);
  },
  '/silent': () => undefined,
};

beforeAll(async () => {
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366ff' } })
    .png()
    .toBuffer();
  site = await startLocalServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const route = routes[path];
    if (route) return route(res);
    // Every other path is an Open Graph page titled after it.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(ogPage(`Page ${path}`));
  });
  app = await startTestApp({
    config: testConfig({
      outbound: {
        allow_private: ['127.0.0.0/8', '::1'],
        preview_max_bytes: PREVIEW_MAX,
        total_timeout_ms: 4000,
      },
      // Shorter than the fetch timeout: a message held up by a preview would answer 202 (an edit)
      // or 503 send_pending (a send).
      queues: { wait_timeout_ms: 3000, send_wait_ms: 3000 },
    }),
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const res of held) res.destroy();
  await site.close();
  await app.close();
});

const clients: GatewayClient[] = [];

interface World {
  owner: TestUser;
  serverId: string;
  channelId: string;
  gateway: GatewayClient;
}

async function world(): Promise<World> {
  const owner = await registerUser(app);
  const server = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'previews' } });
  const channels = await api(app, 'GET', `/servers/${server.body.id}/channels`, { token: owner.token });
  const gateway = await connectGateway(app.origin, { token: owner.token });
  clients.push(gateway);
  return { owner, serverId: server.body.id, channelId: channels.body[0].id, gateway };
}

async function join(w: World): Promise<TestUser> {
  const user = await registerUser(app);
  const invite = await api(app, 'POST', `/channels/${w.channelId}/invites`, {
    token: w.owner.token,
    body: {},
  });
  expect((await api(app, 'POST', `/invites/${invite.body.code}`, { token: user.token })).status).toBe(200);
  return user;
}

async function send(w: World, content: string, user: TestUser = w.owner) {
  const res = await api(app, 'POST', `/channels/${w.channelId}/messages`, {
    token: user.token,
    body: { content },
  });
  expect(res.status).toBe(200);
  expect(res.body.embeds).toEqual([]);
  return res.body as { id: string; content: string };
}

/** The MESSAGE_UPDATE frames for `messageId` that carry link embeds. */
function embedUpdates(w: World, messageId: string) {
  return w.gateway.frames.filter(
    (f) => f.t === 'MESSAGE_UPDATE' && (f.d as { id: string; embeds: unknown[] }).id === messageId,
  );
}

async function nextEmbedUpdate(w: World, messageId: string, count = 1) {
  const frames = await w.gateway.waitForFrames(
    count,
    (f) => f.t === 'MESSAGE_UPDATE' && (f.d as { id: string }).id === messageId,
    15000,
  );
  return frames[count - 1]?.d as { id: string; embeds: Record<string, unknown>[]; edited_at: number | null };
}

/** Resolves with the embeds job's state once it is done (or 'missing' when it was never queued). */
async function embedsJobOutcome(messageId: string, content: string, editId?: string): Promise<string> {
  const id = embedsJobId(messageId, contentHash(content), editId);
  for (let i = 0; i < 300; i++) {
    const state = await app.rt.queues.embeds.getJobState(id);
    if (state === 'unknown') return 'missing';
    if (state === 'completed' || state === 'failed') return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'still running';
}

async function storedEmbeds(messageId: string): Promise<unknown[]> {
  return (await app.rt.models.Message.findByPk(messageId, { rejectOnEmpty: true })).embeds;
}

describe('link previews', () => {
  it('a link to an Open Graph page gets an embed through MESSAGE_UPDATE, its image via the proxy', async () => {
    const w = await world();
    const link = `${site.origin}/article`;
    const message = await send(w, `look at this ${link} !`);
    const update = await nextEmbedUpdate(w, message.id);
    const image = `${site.origin}/img.png`;
    expect(update.embeds).toEqual([
      {
        type: 'link',
        url: link,
        title: 'Page /article',
        description: 'A page about Page /article',
        site_name: 'Local Site',
        color: 0x3366ff,
        image: { url: proxyUrl(app.config, image), original_url: image },
      },
    ]);
    // Not an edit; reactions are presented as on every MESSAGE_UPDATE.
    expect(update.edited_at).toBeNull();
    expect(update).toHaveProperty('reactions', []);
    const got = await api(app, 'GET', `/channels/${w.channelId}/messages/${message.id}`, {
      token: w.owner.token,
    });
    expect(got.body.embeds).toEqual(update.embeds);
    // The embed's image loads through the instance, at its URL as given (absolute).
    const img = await fetch((update.embeds[0]?.image as { url: string }).url);
    expect([img.status, img.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await img.arrayBuffer()).equals(png)).toBe(true);
  });

  it('previews at most 5 distinct links, in order, skipping pages without metadata and non-HTML', async () => {
    const w = await world();
    const links = [1, 2, 3, 4, 5, 6].map((n) => `${site.origin}/multi-${n}`);
    const content = `${links[0]} ${site.origin}/no-meta ${links[0]} ${site.origin}/file.zip ${links.slice(1).join(' ')}`;
    const message = await send(w, content);
    const update = await nextEmbedUpdate(w, message.id);
    // Links 1-5 of the message are multi-1, no-meta, file.zip, multi-2, multi-3.
    expect(update.embeds.map((e) => e.title)).toEqual(['Page /multi-1', 'Page /multi-2', 'Page /multi-3']);
  });

  it('a site that never answers: the message is answered and delivered at once, and gets no embed', async () => {
    const w = await world();
    const before = site.requests.length;
    const content = `slow ${site.origin}/silent`;
    const message = await send(w, content);
    await w.gateway.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === message.id,
    );
    // The fetch is still hanging (or not yet started) while the message is already out.
    expect(await embedsJobOutcome(message.id, content)).toBe('completed');
    expect(site.requests.length).toBe(before + 1);
    expect(await storedEmbeds(message.id)).toEqual([]);
    expect(embedUpdates(w, message.id)).toHaveLength(0);
  });

  it('a huge page is read only up to outbound.preview_max_bytes', async () => {
    const w = await world();
    const early = await send(w, `${site.origin}/huge`);
    const update = await nextEmbedUpdate(w, early.id);
    expect(update.embeds.map((e) => e.title)).toEqual(['Huge but early']);
    // The reader hung up long before the 50 MiB were sent.
    expect(hugeSent['/huge']).toBeLessThan(10 * 1024 * 1024);

    const lateContent = `${site.origin}/huge-late`;
    const late = await send(w, lateContent);
    expect(await embedsJobOutcome(late.id, lateContent)).toBe('completed');
    expect(await storedEmbeds(late.id)).toEqual([]);
  });

  it('an adversarial theme-color neither stalls the worker nor colors the embed', async () => {
    // The former pattern needed hours for this page; the embed now comes like any other.
    const w = await world();
    const message = await send(w, `${site.origin}/adversarial-color`);
    const update = await nextEmbedUpdate(w, message.id);
    expect(update.embeds).toEqual([expect.objectContaining({ title: 'Adversarial', color: null })]);
  });

  it('a second message with the same URL is served from the cache', async () => {
    const w = await world();
    const link = `${site.origin}/cached-${Date.now()}`;
    const count = () => site.requests.filter((r) => r.url === new URL(link).pathname).length;
    const first = await send(w, link);
    const a = await nextEmbedUpdate(w, first.id);
    const second = await send(w, `again ${link}`);
    const b = await nextEmbedUpdate(w, second.id);
    expect(b.embeds).toEqual(a.embeds);
    expect(count()).toBe(1);
  });

  it.each([
    ['written as <url>', (o: string) => `no preview please <${o}/suppressed>`],
    ['in a code block', (o: string) => `\`\`\`\n${o}/in-code-block\n\`\`\``],
    ['in inline code', (o: string) => `run \`curl ${o}/inline-code\``],
  ])('no preview for a link %s', async (_what, make) => {
    const w = await world();
    const content = make(site.origin);
    const before = site.requests.length;
    const message = await send(w, content);
    expect(await embedsJobOutcome(message.id, content)).toBe('missing');
    // A previewable message sent afterwards does get its preview (the worker is alive).
    const controlPath = `/control-${message.id}`;
    const control = await send(w, `${site.origin}${controlPath}`);
    await nextEmbedUpdate(w, control.id);
    expect(embedUpdates(w, message.id)).toHaveLength(0);
    expect(await storedEmbeds(message.id)).toEqual([]);
    expect(site.requests.slice(before).map((r) => r.url)).toEqual([controlPath]);
  });

  it('no preview for an author without EMBED_LINKS in the channel', async () => {
    const w = await world();
    const member = await join(w);
    const everyone = await app.rt.models.Role.findByPk(w.serverId, { rejectOnEmpty: true });
    await app.rt.models.Role.update(
      { permissions: String(BigInt(everyone.permissions) & ~(1n << 14n)) },
      { where: { id: w.serverId } },
    );
    await invalidate(app.rt, { servers: [w.serverId] });
    const content = `${site.origin}/members-link`;
    const message = await send(w, content, member);
    expect(await embedsJobOutcome(message.id, content)).toBe('missing');
    // The owner has every permission: the same link is previewed for them.
    const owners = await send(w, content);
    await nextEmbedUpdate(w, owners.id);
    expect(await storedEmbeds(message.id)).toEqual([]);
  });

  it('an edit redoes the previews: a new link replaces the embed, removing the link removes it', async () => {
    const w = await world();
    const message = await send(w, `${site.origin}/before-edit`);
    await nextEmbedUpdate(w, message.id);
    const edit = (content: string) =>
      api(app, 'PATCH', `/channels/${w.channelId}/messages/${message.id}`, {
        token: w.owner.token,
        body: { content },
      });
    expect((await edit(`now ${site.origin}/after-edit`)).status).toBe(200);
    // The edit's own MESSAGE_UPDATE, then the previews' one.
    const updated = await nextEmbedUpdate(w, message.id, 3);
    expect(updated.embeds.map((e) => e.title)).toEqual(['Page /after-edit']);
    expect((await edit('no links any more')).status).toBe(200);
    const cleared = await nextEmbedUpdate(w, message.id, 5);
    expect(cleared.embeds).toEqual([]);
    expect(await storedEmbeds(message.id)).toEqual([]);
  });

  it('an edit made while a preview is being fetched wins', async () => {
    const w = await world();
    const content = `${site.origin}/held`;
    const message = await send(w, content);
    // Wait until the worker's request is being held by the site.
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const res = held.shift();
    expect(res).toBeDefined();
    const edited = await api(app, 'PATCH', `/channels/${w.channelId}/messages/${message.id}`, {
      token: w.owner.token,
      body: { content: 'never mind' },
    });
    expect(edited.status).toBe(200);
    res?.writeHead(200, { 'content-type': 'text/html' });
    res?.end(ogPage('Held page'));
    expect(await embedsJobOutcome(message.id, content)).toBe('completed');
    expect(await storedEmbeds(message.id)).toEqual([]);
    // Only the edit's MESSAGE_UPDATE: the stale preview was never written or announced.
    expect(embedUpdates(w, message.id)).toHaveLength(1);
  });
});

describe('metadata extraction', () => {
  it.each([
    ['#fff', 0xffffff],
    ['#3366FF', 0x3366ff],
    ['#11223344', 0x112233],
    ['rgb(1, 2, 3)', 0x010203],
    ['rgb(300, 0, 0)', null],
    ['rgb( 1 , 2 , 3 )', 0x010203],
    ['rgb(1 2 3)', 0x010203],
    ['rgba(1,2,3,0.5)', 0x010203],
    ['rgb(1 2 3 / 50%)', 0x010203],
    ['rgb(1,,2,3)', null],
    // Adversarial: runs of spaces that \s*[, ]\s* split every way before failing (hours).
    [`rgb(1${' '.repeat(50_000)}1${' '.repeat(50_000)}x`, null],
    [`rgb(1${' '.repeat(1_000_000)}`, null],
    [`#${'f'.repeat(1_000_000)}`, null],
    ['red', null],
    ['', null],
  ])('theme-color %j is %p', (value, expected) => {
    expect(parseThemeColor(value)).toBe(expected);
  });

  it('a canonical URL on another site is not believed', async () => {
    const html = ogPage('x', '<meta property="og:url" content="https://bank.example/login">');
    expect((await extractPreview(html, 'http://127.0.0.1:1/page'))?.url).toBe('http://127.0.0.1:1/page');
    const same = ogPage('x', '<link rel="canonical" href="http://127.0.0.1:1/canonical">');
    expect((await extractPreview(same, 'http://127.0.0.1:1/page?utm=1'))?.url).toBe(
      'http://127.0.0.1:1/canonical',
    );
  });

  it('a javascript: image is dropped', async () => {
    const html =
      '<html><head><meta property="og:title" content="t"><meta property="og:image" content="javascript:alert(1)"></head></html>';
    expect((await extractPreview(html, 'http://127.0.0.1:1/'))?.image).toBeNull();
  });
});
