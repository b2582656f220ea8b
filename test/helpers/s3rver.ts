import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import S3rver from 's3rver';

/** s3rver's built-in credentials (it checks signatures against them). */
export const S3RVER_CREDENTIALS = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' } as const;

/** A private S3 (s3rver) on 127.0.0.1, a random port and a temp directory, with one bucket. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The `storage` config section that points Plexichat at it. */
  storageConfig(extra?: Record<string, unknown>): Record<string, unknown>;
  /** Sees every request s3rver receives (before it handles it). */
  onRequest(listener: (req: IncomingMessage) => void): void;
  close(): Promise<void>;
}

/** Starts s3rver with `bucket` created; close() stops it and removes its files. */
export async function startS3rver(bucket = 'plexichat-test'): Promise<TestS3> {
  const directory = await fsp.mkdtemp(path.join(os.tmpdir(), 'plexichat-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    storageConfig: (extra = {}) => ({
      driver: 's3',
      s3: { bucket, region: 'us-east-1', endpoint, force_path_style: true, ...S3RVER_CREDENTIALS },
      ...extra,
    }),
    onRequest: (listener) => {
      server.httpServer?.prependListener('request', listener);
    },
    close: async () => {
      // Idle keep-alive sockets of clients would hold close() open.
      server.httpServer?.closeAllConnections();
      await server.close();
      await fsp.rm(directory, { recursive: true, force: true });
    },
  };
}
