import { errorBodyOf, PlexichatError } from './errors.js';
import { operations as operationTable, type OperationId } from './generated/operations.js';
import type { components, operations as OperationTypes, paths } from './generated/schema.js';

/** Every schema of the OpenAPI document by name: `Schemas['Message']`, `Schemas['Server']`... */
export type Schemas = components['schemas'];

type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Every REST route as `"<METHOD> <path>"`, e.g. `"POST /channels/{channel_id}/messages"`. */
export type Route = {
  [P in keyof paths]: {
    [M in HttpMethod]: paths[P][M] extends { responses: unknown } ? `${Uppercase<M>} ${P & string}` : never;
  }[HttpMethod];
}[keyof paths];

/** The OpenAPI operation object type behind a route. */
export type OperationOf<R extends Route> = R extends `${infer M} ${infer P}`
  ? P extends keyof paths
    ? Lowercase<M> extends HttpMethod
      ? paths[P][Lowercase<M>]
      : never
    : never
  : never;

type PathParamsOf<O> = O extends { parameters: { path: infer P } } ? P : never;
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type BodyOf<O> = O extends { requestBody: { content: infer C } }
  ? C extends { 'application/json': infer B }
    ? B
    : C extends { 'multipart/form-data': infer F }
      ? F
      : never
  : never;
type SuccessOf<O> = O extends { responses: infer Rs }
  ? {
      [S in keyof Rs]: S extends 200 | 201 | 202 | 204
        ? Rs[S] extends { content: { 'application/json': infer B } }
          ? B
          : undefined
        : never;
    }[keyof Rs]
  : never;

/** A file to send: a Blob or File (its name is used), or a Blob with the name to give it. */
export type Upload = Blob | { data: Blob; name: string };

/** The routes that answer one page of a list: `limit` with an `after` cursor, an array back. */
export type PagedRoute = {
  [R in Route]: QueryOf<OperationOf<R>> extends { after?: unknown; limit?: unknown }
    ? ResponseOf<OperationOf<R>> extends readonly unknown[]
      ? R
      : never
    : never;
}[Route];

/** One item of a paged route's answer. */
export type PageItemOf<R extends PagedRoute> =
  ResponseOf<OperationOf<R>> extends readonly (infer T)[] ? T : never;

/** How `paginate` walks a list. */
export interface PaginateOptions<T> {
  /**
   * `oldest` (default): ascending from `after` (0 when the query has none); `newest`: descending from
   * `before` (the newest when the query has none), as API.md orders pages.
   */
  order?: 'oldest' | 'newest';
  /**
   * The id an item is paged by. Default: its `id`, else its `user.id` (members, bans), else its
   * `user_id`.
   */
  cursorOf?: (item: T) => string;
}

/** What a call may carry beside its typed parts. */
export interface CallOptions {
  /** Files sent along as multipart (`payload_json` holds the body): message attachments. */
  files?: Upload[];
  /** Extra headers, e.g. `X-Audit-Log-Reason`. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * Upload progress of a multipart call, in bytes. Browsers report as the body goes out
   * (XMLHttpRequest: fetch cannot); elsewhere it is called once, when the upload is done.
   */
  onUploadProgress?: (loaded: number, total: number) => void;
}

/** A call's arguments: path params, query and body exactly as the route's schemas want them. */
export type RequestArgs<O> = ([PathParamsOf<O>] extends [never]
  ? { params?: undefined }
  : { params: PathParamsOf<O> }) &
  ([QueryOf<O>] extends [never] ? { query?: undefined } : { query?: QueryOf<O> }) &
  ([BodyOf<O>] extends [never]
    ? { body?: undefined }
    : Record<string, never> extends BodyOf<O>
      ? { body?: BodyOf<O> }
      : { body: BodyOf<O> }) &
  CallOptions;

/** What a route answers with on success (the JSON body; undefined for 204). */
export type ResponseOf<O> = SuccessOf<O>;

type ArgsTuple<O> =
  Record<string, never> extends RequestArgs<O> ? [args?: RequestArgs<O>] : [args: RequestArgs<O>];

/** `client.rest.<operationId>(args)`: one typed method per operation of the OpenAPI document. */
export type RestMethods = {
  [K in OperationId]: (...args: ArgsTuple<OperationTypes[K]>) => Promise<ResponseOf<OperationTypes[K]>>;
};

/** How the REST client connects and how patient it is. */
export interface RestOptions {
  /** The instance's origin, e.g. `http://127.0.0.1:8000` (the API is under `/api/v1`). */
  baseUrl: string;
  /** A user token, or a bot's with `tokenType: 'Bot'`; set later with `setToken`. */
  token?: string | null;
  tokenType?: 'Bearer' | 'Bot';
  /**
   * How many times a 429, or a 503 `send_pending` of a send with a `nonce`, is waited out before
   * the PlexichatError is thrown (default 3).
   */
  maxRetries?: number;
  /** Another fetch (tests, proxies); default the global one. */
  fetch?: typeof fetch;
}

interface BucketState {
  remaining: number;
  /** ms since the epoch when the bucket refills. */
  resetAt: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });

/**
 * Keeps within the server's rate limits: learns each route's bucket from `X-RateLimit-*`, waits for
 * an empty bucket to refill before sending, and runs one route's calls in order so concurrent
 * callers do not all spend the same last point.
 */
class RateLimiter {
  private readonly routeBucket = new Map<string, string>();
  private readonly buckets = new Map<string, BucketState>();
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Set by a 429 for the caller's global bucket: nothing is sent before it. */
  private globalResetAt = 0;

  /** Runs `task` after every earlier call to the same route has finished. */
  queue<T>(routeKey: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(routeKey) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.queues.set(routeKey, settled);
    void settled.then(() => {
      if (this.queues.get(routeKey) === settled) this.queues.delete(routeKey);
    });
    return run;
  }

  /** How long to wait before sending on this route (ms). */
  delayFor(routeKey: string): number {
    const now = Date.now();
    let wait = Math.max(0, this.globalResetAt - now);
    const name = this.routeBucket.get(routeKey);
    const bucket = name === undefined ? undefined : this.buckets.get(name);
    if (bucket && bucket.remaining <= 0) wait = Math.max(wait, bucket.resetAt - now);
    return wait;
  }

  /** Records what the answer's headers say about the route's bucket. */
  update(routeKey: string, headers: Headers): void {
    const name = headers.get('x-ratelimit-bucket');
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const resetAfter = Number(headers.get('x-ratelimit-reset-after'));
    if (!name || !Number.isFinite(remaining) || !Number.isFinite(resetAfter)) return;
    this.routeBucket.set(routeKey, name);
    this.buckets.set(name, { remaining, resetAt: Date.now() + resetAfter * 1000 });
  }

  /** A 429: how long to wait (ms), from `Retry-After` or the body's `retry_after`. */
  limited(routeKey: string, headers: Headers, retryAfter: number | null, global: boolean): number {
    const seconds = Number(headers.get('retry-after')) || retryAfter || 1;
    const ms = Math.max(seconds, retryAfter ?? 0) * 1000;
    if (global) this.globalResetAt = Date.now() + ms;
    const name = this.routeBucket.get(routeKey);
    if (name) this.buckets.set(name, { remaining: 0, resetAt: Date.now() + ms });
    return ms;
  }
}

/** The major parameter keeps one channel's (or server's) queue from holding up another's. */
function routeKeyOf(method: string, path: string, params: Record<string, string>): string {
  const major = params.channel_id ?? params.server_id ?? params.webhook_id ?? '';
  return `${method} ${path} ${major}`;
}

function fillPath(path: string, params: Record<string, string>, route: string): string {
  return path.replace(/\{([a-z_]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${route}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** Query values are scalars or lists of them (the document has no object-valued query parameter). */
type QueryValue = string | number | boolean | null | undefined;

function appendQuery(url: string, query: Record<string, QueryValue | QueryValue[]> | undefined): string {
  if (!query) return url;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of [value].flat()) if (v !== undefined && v !== null) search.append(key, String(v));
  }
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

/** A JSON body, or multipart when files are sent (the rest of the body as `payload_json`). */
function encodeBody(body: unknown, files: Upload[] | undefined): { body?: string | FormData; type?: string } {
  const fields = (body ?? {}) as Record<string, unknown>;
  const blobs = Object.entries(fields).filter(
    ([, v]) => isBlob(v) || (Array.isArray(v) && v.length > 0 && v.every(isBlob)),
  );
  if (!files?.length && blobs.length === 0) {
    return body === undefined ? {} : { body: JSON.stringify(body), type: 'application/json' };
  }
  const form = new FormData();
  const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => !blobs.some(([b]) => b === k)));
  if (Object.keys(rest).length > 0) form.append('payload_json', JSON.stringify(rest));
  const add = (field: string, file: Upload) =>
    isBlob(file)
      ? form.append(field, file, (file as Blob & { name?: string }).name ?? 'file')
      : form.append(field, file.data, file.name);
  for (const [field, value] of blobs) for (const blob of [value].flat() as Blob[]) add(field, blob);
  for (const file of files ?? []) add('files', file);
  // fetch sets the multipart boundary itself.
  return { body: form };
}

/** The part of XMLHttpRequest used here, declared so the SDK also type-checks without the DOM lib. */
interface Xhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  upload: { onprogress: ((e: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  status: number;
  responseText: string;
  getAllResponseHeaders(): string;
  abort(): void;
  send(body: string | FormData | null): void;
}

/** The browser's XMLHttpRequest; undefined in Node. */
const xhrClass = (): (new () => Xhr) | undefined =>
  (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;

/** fetch over XMLHttpRequest, the one browser API that reports upload progress. */
function xhrFetch(
  Request: new () => Xhr,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | FormData; signal?: AbortSignal },
  onProgress: (loaded: number, total: number) => void,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new Request();
    xhr.open(init.method, url);
    for (const [name, value] of Object.entries(init.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onload = () => {
      const headers = new Headers();
      for (const line of xhr
        .getAllResponseHeaders()
        .trim()
        .split(/[\r\n]+/)) {
        const i = line.indexOf(':');
        if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers }));
    };
    xhr.onerror = () => reject(new TypeError(`network error: ${init.method} ${url}`));
    init.signal?.addEventListener('abort', () => {
      xhr.abort();
      reject(init.signal?.reason as Error);
    });
    xhr.send(init.body ?? null);
  });
}

/** How many bytes a form's files and fields add up to (what a finished upload reports). */
function formSize(form: FormData): number {
  let size = 0;
  for (const [, value] of form.entries()) {
    size += typeof value === 'string' ? new TextEncoder().encode(value).length : (value as Blob).size;
  }
  return size;
}

/**
 * The typed REST client: `request('POST /channels/{channel_id}/messages', {params, body})`, or the
 * same operation by its OpenAPI operationId, `postChannelsChannelIdMessages({params, body})`. Errors throw PlexichatError; 429s are
 * waited out (up to `maxRetries`), and empty buckets are waited for before sending. A message sent
 * with a `nonce` that the server queued but had not stored yet (503 `send_pending`) is asked for
 * again with the same nonce, which answers the stored message (never a second one).
 */
// The generated methods are added by the constructor; this merge gives them their types.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface RestClient extends RestMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class RestClient {
  /** `http://host:port/api/v1` */
  readonly apiBase: string;
  private token: string | null;
  private tokenType: 'Bearer' | 'Bot';
  private readonly maxRetries: number;
  private readonly fetchImpl: typeof fetch;
  private readonly limiter = new RateLimiter();

  constructor(options: RestOptions) {
    this.apiBase = `${options.baseUrl.replace(/\/+$/, '')}/api/v1`;
    this.token = options.token ?? null;
    this.tokenType = options.tokenType ?? 'Bearer';
    this.maxRetries = options.maxRetries ?? 3;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    // One method per operationId (`rest.getUsersMe()`), from the generated operations table.
    for (const [id, op] of Object.entries(operationTable)) {
      Object.defineProperty(this, id, {
        value: (args?: Parameters<RestClient['send']>[2]) => this.send(op.method, op.path, args ?? {}),
      });
    }
  }

  /** Uses this token from now on (e.g. after `POST /auth/login`); null signs out. */
  setToken(token: string | null, type: 'Bearer' | 'Bot' = this.tokenType): void {
    this.token = token;
    this.tokenType = type;
  }

  /** The token calls are sent with. */
  getToken(): string | null {
    return this.token;
  }

  /** Calls one route, typed by its OpenAPI operation. */
  request<R extends Route>(
    route: R,
    ...[args]: ArgsTuple<OperationOf<R>>
  ): Promise<ResponseOf<OperationOf<R>>> {
    const space = route.indexOf(' ');
    return this.send(route.slice(0, space), route.slice(space + 1), args ?? {}) as Promise<
      ResponseOf<OperationOf<R>>
    >;
  }

  /**
   * Every item of a paged list, page after page (`limit` 100 unless the query names one), until a
   * page comes back shorter than the limit: `for await (const m of rest.paginate('GET
   * /channels/{channel_id}/messages', { params }, { order: 'newest' }))`. Pages are fetched as the
   * loop asks for them, each through `request` (so rate limits are waited out).
   */
  async *paginate<R extends PagedRoute>(
    route: R,
    args: RequestArgs<OperationOf<R>>,
    options: PaginateOptions<PageItemOf<R>> = {},
  ): AsyncGenerator<PageItemOf<R>, void, undefined> {
    const newest = options.order === 'newest';
    const cursorOf = options.cursorOf ?? defaultCursor;
    const query = { ...(args.query as Record<string, QueryValue> | undefined) };
    const limit = Number(query.limit ?? 100);
    let cursor = String((newest ? query.before : query.after) ?? (newest ? '' : '0'));
    for (;;) {
      const pageQuery = { ...query, limit, [newest ? 'before' : 'after']: cursor || undefined };
      delete pageQuery[newest ? 'after' : 'before'];
      const space = route.indexOf(' ');
      const page = (await this.send(route.slice(0, space), route.slice(space + 1), {
        ...(args as CallOptions & { params?: Record<string, string> }),
        query: pageQuery,
      })) as PageItemOf<R>[];
      yield* page;
      const last = page[page.length - 1];
      if (page.length < limit || last === undefined) return;
      cursor = cursorOf(last);
    }
  }

  /** Uploads files ahead of a message (`POST /attachments`); pass their ids as `attachments`. */
  upload(files: Upload[], options: Omit<CallOptions, 'files'> = {}): Promise<Schemas['Attachment'][]> {
    // One file answers the attachment itself, several an array: always hand back the array.
    return (
      this.send('POST', '/attachments', { ...options, files }) as Promise<
        Schemas['Attachment'] | Schemas['Attachment'][]
      >
    ).then((answer) => (Array.isArray(answer) ? answer : [answer]));
  }

  /** The untyped core every typed call goes through. */
  async send(
    method: string,
    path: string,
    args: {
      params?: Record<string, string>;
      query?: Record<string, QueryValue | QueryValue[]>;
      body?: unknown;
    } & CallOptions,
  ): Promise<unknown> {
    const route = `${method} ${path}`;
    const params = args.params ?? {};
    const url = appendQuery(`${this.apiBase}${fillPath(path, params, route)}`, args.query);
    const key = routeKeyOf(method, path, params);
    return this.limiter.queue(key, async () => {
      for (let attempt = 0; ; attempt++) {
        await sleep(this.limiter.delayFor(key), args.signal);
        const encoded = encodeBody(args.body, args.files);
        const headers: Record<string, string> = { ...(args.headers ?? {}) };
        if (encoded.type) headers['content-type'] = encoded.type;
        if (this.token) headers.authorization = `${this.tokenType} ${this.token}`;
        const init = { method, headers, body: encoded.body, signal: args.signal };
        const progress = encoded.body instanceof FormData ? args.onUploadProgress : undefined;
        const Request = xhrClass();
        const res =
          progress && Request
            ? await xhrFetch(Request, url, init, progress)
            : await this.fetchImpl(url, init);
        if (progress && !Request) {
          const size = formSize(encoded.body as FormData);
          progress(size, size);
        }
        this.limiter.update(key, res.headers);
        const text = await res.text();
        if (res.ok) return text ? (JSON.parse(text) as unknown) : undefined;
        const body = errorBodyOf(res.status, text);
        if (res.status === 429 && attempt < this.maxRetries) {
          const retryAfter = typeof body.retry_after === 'number' ? body.retry_after : null;
          await sleep(this.limiter.limited(key, res.headers, retryAfter, body.global === true), args.signal);
          continue;
        }
        if (
          res.status === 503 &&
          body.code === 'send_pending' &&
          hasNonce(args.body) &&
          attempt < this.maxRetries
        ) {
          const retryAfter = typeof body.retry_after === 'number' ? body.retry_after : 1;
          await sleep(retryAfter * 1000, args.signal);
          continue;
        }
        throw new PlexichatError(res.status, body, route);
      }
    });
  }
}

/** An item's own id, or its user's (members and bans are paged by user id). */
function defaultCursor(item: unknown): string {
  const fields = item as { id?: unknown; user?: { id?: unknown }; user_id?: unknown };
  const id = typeof fields.id === 'string' ? fields.id : (fields.user?.id ?? fields.user_id);
  if (typeof id !== 'string') throw new TypeError('paginate: an item has no id; pass cursorOf');
  return id;
}

/** Whether a request body carries a `nonce`: sending it again cannot make a second message. */
function hasNonce(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'nonce' in body && body.nonce != null;
}

/**
 * Whether an edit's answer is the stored message (200) rather than accepted and still being
 * applied (202 `{pending: true}`: it arrives as MESSAGE_UPDATE). A send answers the stored message
 * or throws (503 `send_pending` once retries with its nonce ran out).
 */
export function isStoredMessage(
  message: Schemas['Message'] | Schemas['PendingMessage'],
): message is Schemas['Message'] {
  return 'author_id' in message;
}
