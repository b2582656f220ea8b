import crypto from 'node:crypto';
import { io, type Socket } from 'socket.io-client';

/** One check of a self-test run. */
export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface SelftestOptions {
  /** Where the instance is: `https://chat.example.com` (the API is under /api/v1). */
  url: string;
  /** The gateway's socket.io path. */
  gatewayPath?: string;
  /** How long one check may take. */
  timeoutMs?: number;
}

/** The upload check's file: plain text, which is stored as sent (images are re-encoded). */
const UPLOAD = Buffer.from('Plexichat self-test upload\n', 'utf8');

class CheckFailed extends Error {}

type Json = Record<string, unknown>;

/**
 * Exercises a running deployment the way a client does: health, register and log in, a server
 * and channel, a message sent over REST and received over the gateway, an upload read back, and a
 * webhook. Checks run in order; one that depends on an earlier failure is reported as skipped.
 * The run leaves a `selftest_*` user behind (its server is deleted).
 */
export async function runSelftest(options: SelftestOptions): Promise<CheckResult[]> {
  const base = options.url.replace(/\/+$/, '');
  const apiBase = `${base}/api/v1`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const results: CheckResult[] = [];
  const state: {
    token?: string;
    socket?: Socket;
    frames: { t: string; d: Json }[];
    serverId?: string;
    channelId?: string;
  } = { frames: [] };

  async function call(method: string, path: string, body?: unknown, expect: number[] = [200]): Promise<Json> {
    const headers: Record<string, string> = {};
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${apiBase}${path}`, {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((err: Error) => {
      if (err.name === 'TimeoutError')
        throw new CheckFailed(`${method} ${path}: no answer within ${timeoutMs} ms`);
      throw err;
    });
    const text = await res.text();
    if (!expect.includes(res.status)) {
      throw new CheckFailed(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 160)}`);
    }
    return text ? (JSON.parse(text) as Json) : {};
  }

  function waitForFrame(match: (f: { t: string; d: Json }) => boolean): Promise<{ t: string; d: Json }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const found = state.frames.find(match);
        if (found) {
          clearInterval(poll);
          resolve(found);
        } else if (Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new CheckFailed(`no matching gateway event within ${timeoutMs} ms`));
        }
      }, 20);
    });
  }

  async function check(name: string, needs: boolean, run: () => Promise<string>): Promise<void> {
    if (!needs) {
      results.push({ name, ok: false, ms: 0, detail: 'skipped: an earlier check failed' });
      return;
    }
    const started = performance.now();
    try {
      const detail = await run();
      results.push({ name, ok: true, ms: Math.round(performance.now() - started), detail });
    } catch (err) {
      const detail =
        err instanceof CheckFailed ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
      results.push({ name, ok: false, ms: Math.round(performance.now() - started), detail });
    }
  }
  const passed = (name: string) => results.some((r) => r.name === name && r.ok);

  try {
    await check('health', true, async () => {
      const body = await call('GET', '/health');
      if (body.status !== 'ok') throw new CheckFailed(`status ${String(body.status)}`);
      return `version ${String(body.version)}`;
    });
    const username = `selftest_${crypto.randomBytes(5).toString('hex')}`;
    const password = crypto.randomBytes(18).toString('base64url');
    await check('register', passed('health'), async () => {
      await call('POST', '/auth/register', { username, password }, [201]);
      return `user ${username}`;
    });
    await check('login', passed('register'), async () => {
      const body = await call('POST', '/auth/login', { login: username, password });
      if (typeof body.token !== 'string') throw new CheckFailed('no token in the answer');
      state.token = body.token;
      return 'token issued';
    });
    await check('gateway', passed('login'), async () => {
      const socket = io(base, {
        path: options.gatewayPath ?? '/gateway',
        transports: ['websocket'],
        auth: { token: state.token },
        reconnection: false,
        timeout: timeoutMs,
      });
      state.socket = socket;
      socket.on('dispatch', (frame: { t: string; d: Json }) => state.frames.push(frame));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect_error', (err) => reject(new CheckFailed(`connect: ${err.message}`)));
        socket.once('connect', () => resolve());
      });
      await waitForFrame((f) => f.t === 'READY');
      return 'READY received';
    });
    await check('server and channel', passed('login'), async () => {
      const server = await call('POST', '/servers', { name: 'Self-test' }, [200, 201]);
      state.serverId = String(server.id);
      const channels = (await call('GET', `/servers/${state.serverId}/channels`)) as unknown as Json[];
      const text = channels.find((c) => c.channel_type === 'text');
      if (!text) throw new CheckFailed('the new server has no text channel');
      state.channelId = String(text.id);
      return `server ${state.serverId}`;
    });
    await check('message round trip', passed('server and channel') && passed('gateway'), async () => {
      const nonce = crypto.randomBytes(8).toString('hex');
      const sent = await call(
        'POST',
        `/channels/${state.channelId}/messages`,
        { content: 'self-test', nonce },
        [200, 202],
      );
      const event = await waitForFrame((f) => f.t === 'MESSAGE_CREATE' && f.d.id === sent.id);
      const history = (await call(
        'GET',
        `/channels/${state.channelId}/messages?limit=5`,
      )) as unknown as Json[];
      if (!history.some((m) => m.id === sent.id)) throw new CheckFailed('the message is not in the history');
      return `MESSAGE_CREATE ${String(event.d.id)} and history agree`;
    });
    await check('upload', passed('login'), async () => {
      const form = new FormData();
      form.append('file', new Blob([UPLOAD], { type: 'text/plain' }), 'selftest.txt');
      // One file answers its attachment object.
      const attachment = await call('POST', '/attachments', form, [200, 201]);
      const url = String(attachment.url);
      const res = await fetch(new URL(url, base), {
        headers: { authorization: `Bearer ${state.token}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (!res.ok || !bytes.equals(UPLOAD))
        throw new CheckFailed(`reading ${url} back: HTTP ${res.status}, ${bytes.length} bytes`);
      return `${bytes.length} bytes stored and read back`;
    });
    await check('webhook', passed('server and channel') && passed('gateway'), async () => {
      const hook = await call(
        'POST',
        `/channels/${state.channelId}/webhooks`,
        { name: 'Self-test hook' },
        [200, 201],
      );
      const res = await fetch(`${apiBase}/webhooks/${String(hook.id)}/${String(hook.token)}?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'self-test webhook' }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status !== 200 && res.status !== 202) throw new CheckFailed(`execute: HTTP ${res.status}`);
      const message = (await res.json()) as Json;
      await waitForFrame(
        (f) => f.t === 'MESSAGE_CREATE' && f.d.id === message.id && f.d.webhook_id === hook.id,
      );
      return 'executed and delivered';
    });
  } finally {
    state.socket?.close();
    if (state.serverId)
      await call('DELETE', `/servers/${state.serverId}`, undefined, [200, 204]).catch(() => undefined);
    if (state.token) await call('POST', '/auth/logout', undefined, [200, 204]).catch(() => undefined);
  }
  return results;
}

/** The results as an aligned text table, and a last line saying whether everything passed. */
export function formatResults(results: CheckResult[]): string {
  const rows = results.map((r) => [r.name, r.ok ? 'PASS' : 'FAIL', `${r.ms} ms`, r.detail]);
  const widths = [0, 1, 2].map((i) =>
    Math.max(...rows.map((row) => (row[i] ?? '').length), ['check', 'result', 'time'][i]!.length),
  );
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ');
  const failed = results.filter((r) => !r.ok).length;
  return [
    line(['check', 'result', 'time', 'detail']),
    ...rows.map(line),
    failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`,
  ].join('\n');
}
