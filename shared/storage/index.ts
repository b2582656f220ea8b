import path from 'node:path';
import type { Config } from '../config/index.js';
import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';
import type { BlobStorage } from './types.js';

export { InvalidKeyError, RangeNotSatisfiableError, assertValidKey, isValidKey } from './keys.js';
export type {
  BlobStorage,
  ByteRange,
  ObjectInfo,
  ObjectStream,
  PresignOptions,
  StoredObject,
} from './types.js';

/** The directory the local driver uses: `storage.local_dir`, or `<data_dir>/media`. */
export function localStorageDir(config: Config): string {
  return config.storage.local_dir ?? path.join(config.data_dir, 'media');
}

/** The blob storage `storage.driver` names, configured from `storage.*`. */
export function createStorage(config: Config): BlobStorage {
  const { storage } = config;
  switch (storage.driver) {
    case 'local':
      return new LocalStorage(localStorageDir(config));
    case 's3':
      return new S3Storage({
        bucket: storage.s3.bucket,
        region: storage.s3.region,
        endpoint: storage.s3.endpoint,
        forcePathStyle: storage.s3.force_path_style,
        accessKeyId: storage.s3.access_key_id,
        secretAccessKey: storage.s3.secret_access_key,
      });
  }
}
