import { REDACTED, redactQuery, redactSecrets, urlRedactor } from '../../shared/log-redaction.js';
import { createLogger } from '../../shared/logger.js';

const routes = [
  { method: 'post', path: '/webhooks/{webhook_id}/{token}' },
  { method: 'post', path: '/webhooks/{webhook_id}/token' },
  { method: 'get', path: '/webhooks/{webhook_id}/deliveries' },
  { method: 'post', path: '/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver' },
  { method: 'post', path: '/interactions/{interaction_id}/{token}/callback' },
  { method: 'patch', path: '/interactions/{interaction_id}/{token}/original' },
  { method: 'get', path: '/invites/{code}' },
];
const redact = urlRedactor(routes, '/api/v1');

describe('urlRedactor', () => {
  it('replaces the path segments routes declare as tokens, however the path is spelled', () => {
    expect(redact('POST', '/api/v1/webhooks/12/s3cr3t')).toBe(`/api/v1/webhooks/12/${REDACTED}`);
    expect(redact('POST', '/api/v1/webhooks/12/s3cr3t?wait=true')).toBe(
      `/api/v1/webhooks/12/${REDACTED}?wait=true`,
    );
    // Express routes these too: any case, a trailing or doubled slash.
    expect(redact('POST', '/API/V1/Webhooks/12/s3cr3t/')).toBe(`/API/V1/Webhooks/12/${REDACTED}`);
    expect(redact('POST', '/api/v1//webhooks/12/s3cr3t')).toBe(`/api/v1/webhooks/12/${REDACTED}`);
    // A wrong method (a 404) still carried the token.
    expect(redact('GET', '/api/v1/webhooks/12/s3cr3t')).toBe(`/api/v1/webhooks/12/${REDACTED}`);
    expect(redact('POST', '/api/v1/interactions/9/s3cr3t/callback')).toBe(
      `/api/v1/interactions/9/${REDACTED}/callback`,
    );
    expect(redact('PATCH', '/api/v1/interactions/9/s3cr3t/original')).toBe(
      `/api/v1/interactions/9/${REDACTED}/original`,
    );
  });

  it('keeps routes without a token, and the more literal route wins', () => {
    expect(redact('GET', '/api/v1/webhooks/12/deliveries?limit=5')).toBe(
      '/api/v1/webhooks/12/deliveries?limit=5',
    );
    expect(redact('POST', '/api/v1/webhooks/12/token')).toBe('/api/v1/webhooks/12/token');
    expect(redact('POST', '/api/v1/webhooks/12/deliveries/3/redeliver')).toBe(
      '/api/v1/webhooks/12/deliveries/3/redeliver',
    );
    expect(redact('GET', '/api/v1/invites/abc')).toBe('/api/v1/invites/abc');
    expect(redact('GET', '/webhooks/12/s3cr3t')).toBe('/webhooks/12/s3cr3t');
  });

  it('redacts secret query parameters on any URL, keeping the others as sent', () => {
    expect(redact('GET', '/api/v1/auth/oauth/x/callback?code=abc&state=def&iss=me')).toBe(
      `/api/v1/auth/oauth/x/callback?code=${REDACTED}&state=${REDACTED}&iss=me`,
    );
    expect(redact('GET', '/reset-password?token=abc#top')).toBe(`/reset-password?token=${REDACTED}#top`);
    expect(redactQuery('/x?Refresh%5Ftoken=abc&a=%ZZ&%ZZ=1&flag')).toBe(
      `/x?Refresh%5Ftoken=${REDACTED}&a=%ZZ&%ZZ=1&flag`,
    );
  });

  it('costs time linear in the URL: a 1 MB adversarial path and query complete at once', () => {
    const long = `/api/v1/webhooks/${'/'.repeat(500_000)}${'a&=?'.repeat(100_000)}`;
    expect(redact('POST', long).length).toBeGreaterThan(0);
  });
});

describe('redactSecrets', () => {
  it('replaces secret fields at any depth, and secret parameters in URL-valued fields', () => {
    const out = redactSecrets({
      body: { token: 't', password: 'p', nested: [{ refresh_token: 'r', login_code: 'l' }] },
      res: { headers: { location: 'https://app/cb?code=c&state=s&ok=1', 'set-cookie': ['a=b'] } },
      err: { code: 'unknown_route' },
      keep: 'value',
    });
    expect(out).toEqual({
      body: {
        token: REDACTED,
        password: REDACTED,
        nested: [{ refresh_token: REDACTED, login_code: REDACTED }],
      },
      res: {
        headers: {
          location: `https://app/cb?code=${REDACTED}&state=${REDACTED}&ok=1`,
          'set-cookie': REDACTED,
        },
      },
      // An error code is not an OAuth code: bare `code` fields stay.
      err: { code: 'unknown_route' },
      keep: 'value',
    });
  });

  it('leaves class instances to their serializers, and drops what is nested too deep to search', () => {
    const err = new Error('boom');
    expect(redactSecrets({ err })).toEqual({ err });
    expect((redactSecrets({ err }) as { err: Error }).err).toBe(err);
    let deep: Record<string, unknown> = { token: 'bottom' };
    for (let i = 0; i < 1000; i++) deep = { next: deep };
    expect(JSON.stringify(redactSecrets(deep))).not.toContain('bottom');
  });
});

describe('the logger', () => {
  it('writes no secret field to stdout, whatever object carries it', () => {
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array): boolean => {
      out += String(chunk);
      return true;
    };
    try {
      const logger = createLogger(
        { log: { level: 'info', pretty: false, admin: { enabled: true, level: 'info', max_entries: 10 } } },
        'test',
      );
      logger.info(
        { body: { client_secret: 'cs-1', nested: { code_verifier: 'cv-1', ticket: 'tk-1' } } },
        'x',
      );
      logger.info({ password: 'pw-1', url: '/cb?code=oc-1&x=1' }, 'y');
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain('"msg":"x"');
    expect(out).toContain('/cb?code=[redacted]&x=1');
    expect(out).not.toMatch(/cs-1|cv-1|tk-1|pw-1|oc-1/);
  });
});
