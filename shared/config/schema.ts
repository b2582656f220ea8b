import Joi from 'joi';
import os from 'node:os';
import path from 'node:path';

/** Where Plexichat keeps its files unless `data_dir` says otherwise. */
export const DEFAULT_HOME = path.join(os.homedir(), '.plexichat');

/** Queues with a processor; each gets a concurrency setting under `queues.concurrency`. */
export const QUEUE_CONCURRENCY_DEFAULTS = {
  // A create waits ~50-120 ms in its worker under load (batch window, order, the shared cores):
  // at 50 at once a workers process could not pass ~600 msg/s (bench/RESULTS.md).
  messages: 100,
  media: 2,
  embeds: 10,
  webhooks: 20,
  push: 10,
  automod: 20,
  exports: 1,
  mail: 5,
} as const;

/** A throttle: `points` attempts per `duration_seconds`, then blocked for `block_seconds`. */
export interface Throttle {
  points: number;
  duration_seconds: number;
  block_seconds: number;
}

/** A rate limit: `points` requests per `duration_seconds`. */
export interface RateLimit {
  points: number;
  duration_seconds: number;
}

/** Throttled actions (accounts capability). */
export const THROTTLE_DEFAULTS = {
  /** Failed logins from one IP, across accounts (credential stuffing). */
  login_ip: { points: 20, duration_seconds: 600, block_seconds: 900 },
  /**
   * Failed logins for one account from sources it does not know (no device cookie, no live session
   * from that IP); past it only such sources are refused, the owner's devices still sign in.
   */
  login_account: { points: 30, duration_seconds: 3600, block_seconds: 900 },
  /** Failed logins presenting one device cookie (the owner's known device). */
  login_device: { points: 10, duration_seconds: 3600, block_seconds: 900 },
  /** Wrong `current_password` on profile changes, per account (a stolen token guessing the password). */
  reauth_account: { points: 10, duration_seconds: 3600, block_seconds: 900 },
  /** Registrations from one IP. */
  register_ip: { points: 10, duration_seconds: 3600, block_seconds: 3600 },
  /** Failed 2FA codes for one account. */
  mfa_account: { points: 5, duration_seconds: 600, block_seconds: 900 },
  /** Password reset requests (POST /auth/password/forgot) from one IP, every attempt counted. */
  password_forgot_ip: { points: 10, duration_seconds: 3600, block_seconds: 3600 },
  /** Reset mails to one account per window; beyond it the request still answers 204 but sends nothing. */
  password_forgot_account: { points: 3, duration_seconds: 3600, block_seconds: 3600 },
  /** Password reset attempts (POST /auth/password/reset) from one IP, every attempt counted. */
  password_reset_ip: { points: 20, duration_seconds: 3600, block_seconds: 3600 },
  /** Verification mails one account may ask for again (POST /users/@me/email/verify/resend). */
  verify_resend_account: { points: 5, duration_seconds: 3600, block_seconds: 3600 },
} as const;
export type ThrottleName = keyof typeof THROTTLE_DEFAULTS;

/** One external OpenID Connect provider (auth.oidc_providers). */
export interface OidcProviderConfig {
  /** Path segment of /auth/oauth/{name}; also what external identities are keyed by. */
  name: string;
  /** Issuer URL; its /.well-known/openid-configuration is discovered. */
  issuer: string;
  client_id: string;
  /** null: a public client (PKCE only, no client authentication). */
  client_secret: string | null;
  /** Requested scopes; must include `openid`. */
  scopes: string[];
  /** Shown on sign-in buttons; null: the name. */
  display_name: string | null;
}

/** The validated configuration every role receives. Keys are documented in config.example.yaml. */
export interface Config {
  /** `production` turns off developer conveniences (open CORS, pretty logs). */
  mode: 'production' | 'development' | 'test';
  /** Files Plexichat owns: embedded Postgres data, local Redis data, uploads. */
  data_dir: string;
  log: {
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    pretty: boolean;
    /** The recent log kept in Redis for admins (GET /admin/logs), shared by every process. */
    admin: {
      enabled: boolean;
      /** Lowest level kept there (independent of `level`, which is what stdout gets). */
      level: 'fatal' | 'error' | 'warn' | 'info' | 'debug';
      /** Entries kept (approximately: Redis trims in blocks). */
      max_entries: number;
    };
  };
  server: {
    host: string;
    port: number;
    /** Base URL clients reach this instance at; used in links the API hands out. */
    public_url: string | null;
    /** Peers (IPs or CIDRs) whose X-Forwarded-For is believed. */
    trusted_proxies: string[];
    /** Largest JSON body accepted, in bytes. */
    body_limit_bytes: number;
    /**
     * Connections one process holds at once (HTTP and socket.io together); past it new ones are
     * closed at once. 0: the open-file limit less 1,024 kept for the database, Redis and files.
     */
    max_connections: number;
    /** Origins allowed by CORS for REST and the gateway; empty: same-origin only; `*`: any (refused in production). */
    cors_origins: string[];
    /** A Server-Timing header on every API answer (its phases: auth, limit, a send's queue and job...); off by default. */
    timing: boolean;
  };
  database: {
    /** Postgres URL; null means local: 127.0.0.1:5432 when it answers, else embedded Postgres. */
    url: string | null;
    /** Database created and used when `url` is null. */
    name: string;
    pool: { max: number; min: number; idle_ms: number; acquire_ms: number };
    /** Port for the embedded PostgreSQL started when no local server answers. */
    embedded_port: number;
    ssl: boolean;
    /** Log every SQL statement at debug level. */
    log_sql: boolean;
  };
  redis: {
    /** Redis URL; null means local 127.0.0.1:6379, started from `redis-server` if installed. */
    url: string | null;
    /** Prefix of every key Plexichat writes, so several instances can share one Redis. */
    key_prefix: string;
  };
  queues: {
    concurrency: Record<keyof typeof QUEUE_CONCURRENCY_DEFAULTS, number>;
    /** Attempts per job before it lands in the failed (dead-letter) set. */
    attempts: number;
    /** First retry delay; doubles each attempt. */
    backoff_ms: number;
    /** How long the API waits for a job's result before answering 202-style. */
    wait_timeout_ms: number;
    /** How long a message send (and a webhook's ?wait=true) waits for the stored message before 503 send_pending. */
    send_wait_ms: number;
    keep_completed: number;
    keep_failed: number;
    /** How long a worker's lock on a running job lasts (renewed while it runs); a dead worker's job is retried after it. */
    lock_ms: number;
    /** How often workers look for jobs whose worker died (their lock expired). */
    stalled_interval_ms: number;
    /** How long a workers process collects message creates to store them in one statement; 0: one by one. */
    message_batch_window_ms: number;
    /** Most message creates stored in one statement (also bounded by `concurrency.messages`). */
    message_batch_max: number;
  };
  gateway: {
    path: string;
    /** Port of a standalone gateway process (the all-in-one process serves it on server.port). */
    port: number;
    /** How long a dropped session stays resumable (its missed events are kept for it). */
    resume_window_seconds: number;
    /** Most events kept per session for resume; a longer gap answers INVALID_SESSION. */
    resume_buffer_size: number;
    /** How often each gateway process refreshes its connections' presence; they expire after 2.5x. */
    presence_heartbeat_seconds: number;
    /** A user's TYPING_START in one channel is broadcast at most once per this many seconds. */
    typing_throttle_seconds: number;
    /**
     * Open connections one user or bot may hold on one gateway process (and, counted apart, on one
     * voice process); the next handshake is refused `too_many_connections`. Per process, because
     * what it protects (file descriptors, memory) is per process: with N copies a user may hold N
     * times as many.
     */
    max_connections_per_user: number;
    /**
     * Handshakes (good or bad) one client address may attempt per window, counted in Redis across
     * every gateway process before the token is looked up; over it they are refused `rate_limited`
     * with `retry_after`. Voice handshakes are counted the same way in a budget of their own.
     * Addresses in security.throttle_exempt_cidrs are not counted.
     */
    handshake_rate_limit: RateLimit;
  };
  voice: {
    /** Run the mediasoup SFU (needs the optional mediasoup package; off: voice joins answer 503). */
    enabled: boolean;
    /** socket.io path of the voice signaling namespace `/voice`. */
    path: string;
    /** Port of a standalone voice process (the all-in-one process serves signaling on server.port). */
    port: number;
    /** Base URL clients reach this process's signaling at (VOICE_SERVER_UPDATE.endpoint); null: its listening address. */
    public_url: string | null;
    /** mediasoup workers (one process each, one core each); null: the CPU count, at most 4. */
    workers: number | null;
    /** Address the WebRTC transports bind (UDP, and TCP as a fallback). */
    listen_ip: string;
    /** Address given to clients in ICE candidates when listen_ip is not reachable as is (NAT, 0.0.0.0); null: listen_ip. */
    announced_ip: string | null;
    /** First and last port of the RTC range (each transport takes one); open these in the firewall. */
    rtc_min_port: number;
    rtc_max_port: number;
    /** How long a voice token from VOICE_SERVER_UPDATE may wait before it is used (once). */
    token_ttl_seconds: number;
    /** How often a voice process refreshes its entry in Redis; it counts as gone after 3x. */
    node_heartbeat_seconds: number;
  };
  snowflake: { datacenter_id: number | null; worker_id: number | null; lease_seconds: number };
  /** How `npm start` (main.ts) runs the roles on one machine. */
  start: {
    /** `multi`: a supervisor runs the roles as processes on every core; `single`: all in one process. */
    mode: 'multi' | 'single';
    /** Copies of the web process (REST API + gateway) in multi mode; 0: one per core. */
    web_processes: number;
    /** Copies of the workers process (BullMQ) in multi mode. */
    worker_processes: number;
  };
  /** Bull Board at /admin/queues and /api/v1/admin/queues, for instance admins (on by default). */
  admin: { bull_board: boolean };
  storage: {
    /** Where uploaded files live: `local` (a directory) or `s3` (any S3-compatible service). */
    driver: 'local' | 's3';
    /** Directory of the local driver; null: data_dir/media. */
    local_dir: string | null;
    s3: {
      bucket: string;
      region: string;
      /** Endpoint of an S3-compatible service (MinIO...); null: AWS. */
      endpoint: string | null;
      /** Path-style URLs (endpoint/bucket/key), which MinIO and most self-hosted services need. */
      force_path_style: boolean;
      /** Credentials; null: the SDK's default chain (environment, instance role). */
      access_key_id: string | null;
      secret_access_key: string | null;
    };
    /** With s3: answer GET /media/{key} with a redirect to a presigned URL instead of streaming it. */
    redirect: boolean;
    /** Lifetime of a presigned URL. */
    presign_ttl_seconds: number;
  };
  media: {
    /** Largest single uploaded file (413 beyond). */
    max_file_bytes: number;
    /** Largest total of the files of one message or one upload request (413 beyond). */
    max_request_bytes: number;
    /** Most files in one message or upload request. */
    max_files: number;
    /** Most bytes one user may have uploaded but not yet sent in a message (413 `pending_uploads_limit` beyond). */
    max_pending_bytes: number;
    /** Types (as sniffed from the bytes) refused with 415. */
    forbidden_types: string[];
    /** Images with more pixels than this are not decoded (a decompression bomb guard). */
    max_image_pixels: number;
    /** Longest side of generated image thumbnails. */
    thumbnail_size: number;
  };
  outbound: {
    /** CIDRs that fetches (proxy, link previews, webhooks) may reach although private or loopback. */
    allow_private: string[];
    connect_timeout_ms: number;
    total_timeout_ms: number;
    max_redirects: number;
    /** Largest image the media proxy relays. */
    proxy_max_bytes: number;
    /** Most bytes of a page read for a link preview. */
    preview_max_bytes: number;
    /** How long a link preview is cached per URL. */
    preview_cache_seconds: number;
    user_agent: string;
  };
  applications: {
    /** Most bot applications one user may own (POST /applications answers 409 beyond). */
    max_per_user: number;
  };
  interactions: {
    /** How long a bot has to answer a slash command before the interaction fails. */
    deadline_ms: number;
    /** Attempts at most to POST an interaction to its interactions_url (the first included). */
    max_attempts: number;
    /** Wait before the first retry of an interaction POST; doubles each retry (±20% jitter). */
    retry_base_ms: number;
  };
  security: {
    /**
     * Key (base64, 32 bytes) that encrypts TOTP secrets at rest and (through derived keys) signs media proxy
     * URLs; null: generated into data_dir/secret.key.
     */
    secret_key: string | null;
    /** scrypt cost as log2(N) for password hashing (r=8, p=1); 17 (OWASP's minimum) means 128 MiB per hash. */
    scrypt_cost: number;
    /** Lifetime of the ticket a password login hands out when 2FA is on. */
    mfa_ticket_ttl_seconds: number;
    /** A session unused for this many days stops working (0: sessions last until revoked). */
    session_idle_days: number;
    /** An account without a password may delete itself or set a password or email from a session this young (seconds). */
    reauth_window_seconds: number;
    /**
     * How long a token's session and account may be served from a copy in Redis rather than Postgres
     * (seconds; 0: every request reads Postgres). Writes through Plexichat retire copies at once; this
     * bounds how long an edit made by hand in the database goes unseen.
     */
    session_cache_seconds: number;
    /** Attempts allowed per window before 429; `block_seconds` is the lockout. */
    throttle: Record<ThrottleName, Throttle>;
    /** Progressive delay on failed logins per (account, source IP). */
    login_backoff: {
      /** Failures allowed without delay in a window. */
      free_attempts: number;
      /** Wait after the first attempt beyond them; doubles with each further attempt. */
      base_delay_seconds: number;
      /** Longest wait between two attempts. */
      max_delay_seconds: number;
      /** Counts start over this long after the first failure (or at once on a success). */
      window_seconds: number;
    };
    /** Lifetime of the device cookie a successful login sets (known devices skip the account lockout). */
    device_cookie_days: number;
    /**
     * Client addresses (CIDRs) the per-address sign-in throttles (login_ip, register_ip,
     * password_forgot_ip) and the per-address handshake limit (gateway.handshake_rate_limit) do not count:
     * the machine itself by default (operators' scripts, local test suites). Behind a proxy clients
     * are seen by their own address (server.trusted_proxies), never as loopback.
     */
    throttle_exempt_cidrs: string[];
  };
  auth: {
    /** Lifetimes of the tokens Plexichat issues as an OAuth2 provider. */
    oauth2: { access_token_ttl_seconds: number; refresh_token_ttl_seconds: number };
    /** External OpenID Connect providers users may sign in with (GET /auth/oauth/{name}). */
    oidc_providers: OidcProviderConfig[];
    /** Where the browser lands after an external sign-in (`?login_code=` or `?error=`); a path is on this instance. */
    oauth_client_redirect: string;
    /** Let openid-client talk to http:// issuers (a provider on loopback in tests); never in production. */
    allow_insecure_http: boolean;
    /** Who may register: anyone, holders of a server invite code (`invite`), or nobody (admins create accounts). */
    registration: 'open' | 'invite_only' | 'closed';
    /** Users whose email is not verified may not send messages (403 `email_unverified`); bots are exempt. */
    require_verified_email: boolean;
  };
  /** Outgoing mail (password reset, email verification), sent by the `mail` queue. */
  email: {
    /** SMTP server, e.g. `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://host:465`; null: no mail. */
    smtp_url: string | null;
    /** The From header of every mail. */
    from: string;
  };
  docs: { enabled: boolean };
  /** Outgoing event webhooks (api/docs/guides/09-webhooks.md). */
  webhooks: {
    /** Attempts per delivery (the first included) before it is `dead`. */
    max_attempts: number;
    /** Wait before the first retry; doubles each retry (±20% jitter). */
    backoff_base_ms: number;
    /** Longest wait between two attempts. */
    backoff_max_ms: number;
    /** A receiver that has not answered (status line and headers) within this fails the attempt. */
    timeout_ms: number;
    /** Longest Retry-After (of a 429 or 503) honoured; longer ones wait this long. */
    retry_after_max_seconds: number;
    /** Deliveries in a row ending without success (failed or dead) after which a subscription is disabled; 0: never. */
    disable_after: number;
    /** Finished deliveries are deleted from the log after this many days. */
    retention_days: number;
    /** Most event webhooks one server may have. */
    max_per_server: number;
    /** Most incoming webhooks one channel may have (Discord's 15): every list of them stays short. */
    max_incoming_per_channel: number;
  };
  push: {
    /** Send Web Push notifications (subscriptions are still accepted when off; nothing is sent). */
    enabled: boolean;
    /** Contact the push services see in the VAPID token (mailto: or https:); null: server.public_url when https, else mailto:admin@localhost. */
    vapid_subject: string | null;
    /** VAPID key pair (base64url P-256: 65-byte public point, 32-byte private scalar); null: generated once into data_dir/vapid.json. */
    vapid_public_key: string | null;
    vapid_private_key: string | null;
    /** Put an excerpt of the message in the notification; false sends only who wrote where. */
    include_content: boolean;
    /** How long a push service keeps an undelivered notification (the TTL header). */
    ttl_seconds: number;
    /** RFC 8030 Urgency of the notifications. */
    urgency: 'very-low' | 'low' | 'normal' | 'high';
    /** Subscriptions kept per user: a new one beyond it replaces the least recently used. */
    max_subscriptions_per_user: number;
    /** Refused deliveries in a row (4xx other than 404/410/429) after which a subscription is dropped. */
    max_failures: number;
  };
  rate_limits: {
    /** Limit every route (api/security/rate-limits.ts); false only for tests and benchmarks. */
    enabled: boolean;
    /** All requests of one caller (user or bot; the IP when anonymous) together. */
    global: RateLimit;
    /** A read route's bucket (GET) when neither the route nor `routes` sets one. */
    read: RateLimit;
    /** A write route's bucket (POST, PUT, PATCH, DELETE) when neither the route nor `routes` sets one. */
    write: RateLimit;
    /** Overrides by bucket name: `"POST /channels/{channel_id}/messages"` or a route's named bucket. */
    routes: Record<string, RateLimit>;
  };
  metrics: {
    /** Serve Prometheus metrics at GET /metrics. */
    enabled: boolean;
    /** Client addresses (CIDRs) that may scrape a role's own metrics listener without a token (never the API's port); default loopback. */
    allow_cidrs: string[];
    /** A bearer token that also lets a scraper in from anywhere; null: addresses only. */
    token: string | null;
    /** Port of a metrics listener for processes without an HTTP server (standalone workers); 0: none. */
    port: number;
    /** How often each process publishes its figures to Redis for GET /admin/stats (seconds). */
    stats_interval_seconds: number;
  };
  /** Account deletion and data export (api/docs/guides/03-authentication.md). */
  accounts: {
    /** Days a deleted account's username stays reserved before anyone may register it. */
    deleted_username_grace_days: number;
    /** Hours a finished data export stays downloadable before its archive is removed. */
    export_ttl_hours: number;
    /** Minutes after an export was requested before another may be (a repeat answers the same one). */
    export_cooldown_minutes: number;
  };
}

const port = Joi.number().integer().min(0).max(65535);

/** Unpadded base64url of exactly `bytes` bytes (how VAPID keys are written). */
function isBase64Url(value: string, bytes: number): boolean {
  return /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes;
}
const nonNegative = Joi.number().integer().min(0);
const rateLimit = Joi.object({
  points: Joi.number().integer().min(1).required(),
  duration_seconds: Joi.number().integer().min(1).max(86400).required(),
});

/** The joi schema every loaded configuration must pass; unknown keys are errors. */
export const configSchema = Joi.object<Config>({
  mode: Joi.string().valid('production', 'development', 'test').default('production'),
  data_dir: Joi.string().default(path.join(DEFAULT_HOME, 'data')),
  log: Joi.object({
    level: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
    pretty: Joi.boolean().default(false),
    admin: Joi.object({
      enabled: Joi.boolean().default(true),
      level: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug').default('info'),
      max_entries: Joi.number().integer().min(100).max(1_000_000).default(20_000),
    }).default(),
  }).default(),
  server: Joi.object({
    host: Joi.string().hostname().default('127.0.0.1'),
    port: port.default(8000),
    public_url: Joi.string()
      .uri({ scheme: ['http', 'https'] })
      .allow(null)
      .default(null),
    trusted_proxies: Joi.array()
      .items(Joi.string().ip({ cidr: 'optional' }))
      .default([]),
    body_limit_bytes: Joi.number()
      .integer()
      .min(1024)
      .max(100 * 1024 * 1024)
      .default(1024 * 1024),
    max_connections: Joi.number().integer().min(0).max(10_000_000).default(0),
    cors_origins: Joi.array()
      .items(Joi.string().uri({ scheme: ['http', 'https'] }), Joi.string().valid('*'))
      .default([]),
    timing: Joi.boolean().default(false),
  }).default(),
  database: Joi.object({
    url: Joi.string()
      .uri({ scheme: ['postgres', 'postgresql'] })
      .allow(null)
      .default(null),
    name: Joi.string()
      .pattern(/^[a-z_][a-z0-9_]{0,62}$/)
      .default('plexichat'),
    pool: Joi.object({
      max: Joi.number().integer().min(1).max(1000).default(10),
      min: nonNegative.max(1000).default(0),
      idle_ms: nonNegative.default(10000),
      acquire_ms: Joi.number().integer().min(100).default(30000),
    }).default(),
    embedded_port: port.default(54329),
    ssl: Joi.boolean().default(false),
    log_sql: Joi.boolean().default(false),
  }).default(),
  redis: Joi.object({
    url: Joi.string()
      .uri({ scheme: ['redis', 'rediss'] })
      .allow(null)
      .default(null),
    key_prefix: Joi.string()
      .pattern(/^[A-Za-z0-9_.-]{1,64}$/)
      .default('plexichat'),
  }).default(),
  queues: Joi.object({
    concurrency: Joi.object(
      Object.fromEntries(
        Object.entries(QUEUE_CONCURRENCY_DEFAULTS).map(([name, n]) => [
          name,
          Joi.number().integer().min(1).max(1000).default(n),
        ]),
      ),
    ).default(),
    attempts: Joi.number().integer().min(1).max(100).default(5),
    backoff_ms: Joi.number().integer().min(10).default(1000),
    wait_timeout_ms: Joi.number().integer().min(100).max(60000).default(5000),
    // Below the 60 s a proxy gives an answer (nginx's proxy_read_timeout) and the API's request timeout.
    send_wait_ms: Joi.number().integer().min(100).max(55000).default(30000),
    keep_completed: nonNegative.default(1000),
    keep_failed: nonNegative.default(10000),
    lock_ms: Joi.number().integer().min(500).max(600000).default(30000),
    stalled_interval_ms: Joi.number().integer().min(500).max(600000).default(30000),
    message_batch_window_ms: Joi.number().min(0).max(1000).default(2),
    message_batch_max: Joi.number().integer().min(1).max(1000).default(50),
  }).default(),
  gateway: Joi.object({
    path: Joi.string()
      .pattern(/^\/[A-Za-z0-9/_-]*$/)
      .default('/gateway'),
    port: port.default(8001),
    resume_window_seconds: Joi.number().integer().min(1).max(3600).default(120),
    resume_buffer_size: Joi.number().integer().min(10).max(100000).default(1000),
    presence_heartbeat_seconds: Joi.number().min(0.2).max(300).default(15),
    typing_throttle_seconds: Joi.number().min(0).max(60).default(5),
    max_connections_per_user: Joi.number().integer().min(1).max(100000).default(50),
    // A NAT'd office of a hundred reconnecting at once after a deploy gets through in one window.
    handshake_rate_limit: rateLimit.default({ points: 120, duration_seconds: 60 }),
  }).default(),
  voice: Joi.object({
    enabled: Joi.boolean().default(true),
    path: Joi.string()
      .pattern(/^\/[A-Za-z0-9/_-]*$/)
      .default('/voice-signal'),
    port: port.default(8002),
    public_url: Joi.string()
      .uri({ scheme: ['http', 'https'] })
      .allow(null)
      .default(null),
    workers: Joi.number().integer().min(1).max(64).allow(null).default(null),
    listen_ip: Joi.string().ip().default('127.0.0.1'),
    announced_ip: Joi.string().ip().allow(null).default(null),
    rtc_min_port: Joi.number().integer().min(1024).max(65535).default(40000),
    rtc_max_port: Joi.number().integer().min(1024).max(65535).default(49999),
    token_ttl_seconds: Joi.number().integer().min(5).max(3600).default(60),
    node_heartbeat_seconds: Joi.number().min(0.2).max(60).default(5),
  }).default(),
  snowflake: Joi.object({
    // null: leased from Redis (unique among live processes); a number: fixed, as configured.
    datacenter_id: Joi.number().integer().min(0).max(31).allow(null).default(null),
    worker_id: Joi.number().integer().min(0).max(31).allow(null).default(null),
    lease_seconds: Joi.number().min(1).max(3600).default(30),
  }).default(),
  start: Joi.object({
    mode: Joi.string().valid('multi', 'single').default('multi'),
    web_processes: Joi.number().integer().min(0).max(64).default(0),
    worker_processes: Joi.number().integer().min(1).max(64).default(1),
  }).default(),
  admin: Joi.object({ bull_board: Joi.boolean().default(true) }).default(),
  storage: Joi.object({
    driver: Joi.string().valid('local', 's3').default('local'),
    local_dir: Joi.string().allow(null).default(null),
    s3: Joi.object({
      bucket: Joi.string().default('plexichat'),
      region: Joi.string().default('us-east-1'),
      endpoint: Joi.string()
        .uri({ scheme: ['http', 'https'] })
        .allow(null)
        .default(null),
      force_path_style: Joi.boolean().default(true),
      access_key_id: Joi.string().allow(null).default(null),
      secret_access_key: Joi.string().allow(null).default(null),
    }).default(),
    redirect: Joi.boolean().default(false),
    presign_ttl_seconds: Joi.number().integer().min(10).max(604800).default(300),
  }).default(),
  media: Joi.object({
    max_file_bytes: Joi.number()
      .integer()
      .min(1024)
      .default(25 * 1024 * 1024),
    max_request_bytes: Joi.number()
      .integer()
      .min(1024)
      .default(100 * 1024 * 1024),
    max_files: Joi.number().integer().min(1).max(50).default(10),
    max_pending_bytes: Joi.number()
      .integer()
      .min(1024)
      .default(500 * 1024 * 1024),
    forbidden_types: Joi.array()
      .items(Joi.string())
      .default([
        'application/x-msdownload',
        'application/vnd.microsoft.portable-executable',
        'application/x-elf',
        'application/x-mach-binary',
        'application/x-sharedlib',
        'application/x-executable',
      ]),
    max_image_pixels: Joi.number().integer().min(1).default(50_000_000),
    thumbnail_size: Joi.number().integer().min(16).max(2048).default(400),
  }).default(),
  outbound: Joi.object({
    allow_private: Joi.array()
      .items(Joi.string().ip({ cidr: 'optional' }))
      .default([]),
    connect_timeout_ms: Joi.number().integer().min(100).max(60000).default(3000),
    total_timeout_ms: Joi.number().integer().min(100).max(120000).default(10000),
    max_redirects: Joi.number().integer().min(0).max(10).default(3),
    proxy_max_bytes: Joi.number()
      .integer()
      .min(1024)
      .default(10 * 1024 * 1024),
    preview_max_bytes: Joi.number()
      .integer()
      .min(1024)
      .default(1024 * 1024),
    preview_cache_seconds: Joi.number().integer().min(0).default(3600),
    user_agent: Joi.string().default('Plexichat (+link previews)'),
  }).default(),
  applications: Joi.object({
    max_per_user: Joi.number().integer().min(0).max(10000).default(25),
  }).default(),
  interactions: Joi.object({
    deadline_ms: Joi.number().integer().min(100).max(60000).default(3000),
    max_attempts: Joi.number().integer().min(1).max(10).default(3),
    retry_base_ms: Joi.number().integer().min(10).max(60000).default(250),
  }).default(),
  security: Joi.object({
    secret_key: Joi.string()
      .base64()
      .custom((v: string, helpers) =>
        Buffer.from(v, 'base64').length === 32 ? v : helpers.error('any.invalid'),
      )
      .message('"security.secret_key" must be 32 bytes, base64-encoded')
      .allow(null)
      .default(null),
    scrypt_cost: Joi.number().integer().min(10).max(20).default(17),
    mfa_ticket_ttl_seconds: Joi.number().integer().min(30).max(3600).default(300),
    session_idle_days: Joi.number().integer().min(0).max(3650).default(90),
    reauth_window_seconds: Joi.number().integer().min(60).max(86400).default(600),
    session_cache_seconds: Joi.number().integer().min(0).max(3600).default(60),
    throttle: Joi.object(
      Object.fromEntries(
        Object.entries(THROTTLE_DEFAULTS).map(([name, t]) => [
          name,
          Joi.object({
            points: Joi.number().integer().min(1).default(t.points),
            duration_seconds: Joi.number().integer().min(1).default(t.duration_seconds),
            block_seconds: Joi.number().integer().min(0).default(t.block_seconds),
          }).default(),
        ]),
      ),
    ).default(),
    login_backoff: Joi.object({
      free_attempts: Joi.number().integer().min(1).max(1000).default(5),
      base_delay_seconds: Joi.number().integer().min(1).max(86400).default(2),
      max_delay_seconds: Joi.number().integer().min(1).max(86400).default(900),
      window_seconds: Joi.number()
        .integer()
        .min(60)
        .max(30 * 86400)
        .default(86400),
    }).default(),
    device_cookie_days: Joi.number().integer().min(1).max(3650).default(180),
    throttle_exempt_cidrs: Joi.array()
      .items(Joi.string().ip({ cidr: 'optional' }))
      .default(['127.0.0.0/8', '::1/128']),
  }).default(),
  auth: Joi.object({
    oauth2: Joi.object({
      access_token_ttl_seconds: Joi.number().integer().min(60).max(86400).default(3600),
      refresh_token_ttl_seconds: Joi.number()
        .integer()
        .min(3600)
        .max(365 * 86400)
        .default(30 * 86400),
    }).default(),
    oidc_providers: Joi.array()
      .items(
        Joi.object({
          name: Joi.string()
            .pattern(/^[a-z0-9][a-z0-9_-]{0,31}$/)
            .message('{{#label}} must be 1-32 lower-case letters, digits, "_" or "-"')
            .required(),
          issuer: Joi.string()
            .uri({ scheme: ['http', 'https'] })
            .required(),
          client_id: Joi.string().max(255).required(),
          client_secret: Joi.string().max(1024).allow(null).default(null),
          scopes: Joi.array()
            .items(Joi.string().pattern(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
            .has(Joi.string().valid('openid'))
            .default(['openid', 'email', 'profile']),
          display_name: Joi.string().max(64).allow(null).default(null),
        }),
      )
      .unique('name')
      .default([]),
    oauth_client_redirect: Joi.string()
      .uri({ scheme: ['http', 'https'], allowRelative: true })
      .default('/oauth/callback'),
    allow_insecure_http: Joi.boolean().default(false),
    registration: Joi.string().valid('open', 'invite_only', 'closed').default('open'),
    require_verified_email: Joi.boolean().default(false),
  }).default(),
  email: Joi.object({
    smtp_url: Joi.string()
      .uri({ scheme: ['smtp', 'smtps'] })
      .allow(null)
      .default(null),
    from: Joi.string()
      .max(320)
      .pattern(/^[^\r\n]*@[^\r\n]*$/)
      .message('"email.from" must be an address, optionally with a name: "Plexichat <noreply@example.com>"')
      .default('Plexichat <noreply@localhost>'),
  }).default(),
  docs: Joi.object({ enabled: Joi.boolean().default(true) }).default(),
  webhooks: Joi.object({
    max_attempts: Joi.number().integer().min(1).max(20).default(8),
    backoff_base_ms: Joi.number().integer().min(1).max(3600000).default(30000),
    backoff_max_ms: Joi.number().integer().min(1).max(86400000).default(3600000),
    timeout_ms: Joi.number().integer().min(100).max(60000).default(10000),
    retry_after_max_seconds: Joi.number().integer().min(0).max(86400).default(3600),
    disable_after: Joi.number().integer().min(0).max(10000).default(5),
    retention_days: Joi.number().integer().min(1).max(3650).default(30),
    max_per_server: Joi.number().integer().min(1).max(1000).default(20),
    max_incoming_per_channel: Joi.number().integer().min(1).max(1000).default(15),
  }).default(),
  push: Joi.object({
    enabled: Joi.boolean().default(true),
    vapid_subject: Joi.string()
      .max(255)
      .pattern(/^(mailto:\S+@\S+|https:\/\/\S+)$/)
      .message('"push.vapid_subject" must be a mailto: address or an https: URL')
      .allow(null)
      .default(null),
    vapid_public_key: Joi.string()
      .custom((v: string, helpers) => (isBase64Url(v, 65) ? v : helpers.error('any.invalid')))
      .message('"push.vapid_public_key" must be a 65-byte P-256 public key, base64url-encoded')
      .allow(null)
      .default(null),
    vapid_private_key: Joi.string()
      .custom((v: string, helpers) => (isBase64Url(v, 32) ? v : helpers.error('any.invalid')))
      .message('"push.vapid_private_key" must be a 32-byte P-256 private key, base64url-encoded')
      .allow(null)
      .default(null),
    include_content: Joi.boolean().default(true),
    ttl_seconds: Joi.number().integer().min(0).max(2419200).default(86400),
    urgency: Joi.string().valid('very-low', 'low', 'normal', 'high').default('normal'),
    max_subscriptions_per_user: Joi.number().integer().min(1).max(100).default(10),
    max_failures: Joi.number().integer().min(1).max(100).default(5),
  }).default(),
  rate_limits: Joi.object({
    enabled: Joi.boolean().default(true),
    global: rateLimit.default({ points: 50, duration_seconds: 1 }),
    read: rateLimit.default({ points: 120, duration_seconds: 10 }),
    write: rateLimit.default({ points: 30, duration_seconds: 10 }),
    routes: Joi.object().pattern(Joi.string(), rateLimit).default({}),
  }).default(),
  metrics: Joi.object({
    enabled: Joi.boolean().default(true),
    allow_cidrs: Joi.array()
      .items(Joi.string().ip({ cidr: 'optional' }))
      .default(['127.0.0.1/32', '::1/128']),
    token: Joi.string().min(16).allow(null).default(null),
    port: port.default(0),
    // How often each process publishes its figures to Redis for GET /admin/stats.
    stats_interval_seconds: Joi.number().min(0.2).max(300).default(10),
  }).default(),
  accounts: Joi.object({
    deleted_username_grace_days: Joi.number().integer().min(0).max(3650).default(30),
    export_ttl_hours: Joi.number()
      .integer()
      .min(1)
      .max(24 * 90)
      .default(168),
    export_cooldown_minutes: Joi.number()
      .integer()
      .min(0)
      .max(7 * 24 * 60)
      .default(1440),
  }).default(),
})
  .default()
  .custom((value: Config, helpers) => {
    if (value.database.pool.min > value.database.pool.max) {
      return helpers.message({ custom: '"database.pool.min" must not exceed database.pool.max' });
    }
    if (value.voice.rtc_min_port >= value.voice.rtc_max_port) {
      return helpers.message({ custom: '"voice.rtc_min_port" must be below voice.rtc_max_port' });
    }
    if ((value.push.vapid_public_key === null) !== (value.push.vapid_private_key === null)) {
      return helpers.message({
        custom: '"push.vapid_public_key" and "push.vapid_private_key" must be set together',
      });
    }
    return value;
  });
