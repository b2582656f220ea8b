// @plexichat/client: the typed SDK for Plexichat's REST API, realtime gateway and voice signaling.
// Browser-safe (fetch, FormData, WebCrypto, socket.io-client); see README.md.
import { Gateway, type GatewayOptions, type ReadyPayload } from './gateway.js';
import { RestClient, type RestOptions } from './rest.js';

export * from './errors.js';
export * from './gateway.js';
export * from './rest.js';
export * from './voice.js';
export { operations, type OperationId } from './generated/operations.js';
export type { components, paths } from './generated/schema.js';

/** What a Client needs: the instance and a token (or none, to register or sign in first). */
export interface ClientOptions {
  /** The instance's origin, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  token?: string | null;
  /** `Bot` for a bot token. */
  tokenType?: 'Bearer' | 'Bot';
  rest?: Omit<RestOptions, 'baseUrl' | 'token' | 'tokenType'>;
  gateway?: Omit<GatewayOptions, 'baseUrl' | 'token'>;
}

/**
 * REST and gateway together: `client.rest` is typed from the OpenAPI document, and
 * `client.connect()` opens the gateway with the same token (`client.gateway` from then on).
 */
export class Client {
  readonly rest: RestClient;
  private gatewayInstance: Gateway | null = null;

  constructor(private readonly options: ClientOptions) {
    this.rest = new RestClient({
      ...options.rest,
      baseUrl: options.baseUrl,
      token: options.token ?? null,
      tokenType: options.tokenType ?? 'Bearer',
    });
  }

  /** Registers an account and uses its token from now on. */
  async register(body: { username: string; password: string; email?: string; invite?: string }) {
    const res = await this.rest.request('POST /auth/register', { body });
    this.rest.setToken(res.token, 'Bearer');
    return res;
  }

  /**
   * Signs in and uses the token from now on. With 2FA on, answers `{mfa_required, ticket}`: finish
   * with `completeMfa(ticket, code)`.
   */
  async login(login: string, password: string) {
    const res = await this.rest.request('POST /auth/login', { body: { login, password } });
    if ('token' in res && typeof res.token === 'string') this.rest.setToken(res.token, 'Bearer');
    return res;
  }

  /** The second step of a 2FA sign-in (a TOTP or backup code). */
  async completeMfa(ticket: string, code: string) {
    const res = await this.rest.request('POST /auth/mfa/totp', { body: { ticket, code } });
    this.rest.setToken(res.token, 'Bearer');
    return res;
  }

  /** The gateway, once `connect()` made it. */
  get gateway(): Gateway {
    if (!this.gatewayInstance) throw new Error('not connected: call client.connect() first');
    return this.gatewayInstance;
  }

  /** Opens the gateway with the REST client's token and resolves with READY. */
  connect(): Promise<ReadyPayload> {
    const token = this.rest.getToken();
    if (!token) throw new Error('no token: sign in (or pass token) before connecting');
    this.gatewayInstance?.close();
    this.gatewayInstance = new Gateway({ ...this.options.gateway, baseUrl: this.options.baseUrl, token });
    return this.gatewayInstance.connect();
  }

  /** Closes the gateway (REST keeps working). */
  close(): void {
    this.gatewayInstance?.close();
  }
}
