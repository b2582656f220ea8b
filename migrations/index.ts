import type { Migration } from './types.js';
import * as m0001 from './0001-initial-schema.js';
import * as m0002 from './0002-accounts.js';
import * as m0003 from './0003-servers-permissions.js';
import * as m0004 from './0004-message-content.js';
import * as m0005 from './0005-reactions-pins-search.js';
import * as m0006 from './0006-threads-read-states.js';
import * as m0007 from './0007-unread-from-index.js';
import * as m0008 from './0008-attachments.js';
import * as m0009 from './0009-emojis.js';
import * as m0010 from './0010-webhooks.js';
import * as m0011 from './0011-applications.js';
import * as m0012 from './0012-event-webhooks.js';
import * as m0013 from './0013-oauth2.js';
import * as m0014 from './0014-push.js';
import * as m0015 from './0015-application-commands.js';
import * as m0016 from './0016-applications-extra.js';
import * as m0017 from './0017-reports.js';
import * as m0018 from './0018-automod.js';
import * as m0019 from './0019-voice.js';
import * as m0020 from './0020-account-lifecycle.js';
import * as m0021 from './0021-account-lifecycle.js';
import * as m0022 from './0022-system-user.js';
import * as m0024 from './0024-pending-uploads.js';
import * as m0025 from './0025-outbox.js';
import * as m0026 from './0026-interaction-deliveries.js';
import * as m0027 from './0027-file-deletions.js';
import * as m0028 from './0028-webhook-sealed-tokens.js';
import * as m0029 from './0029-longer-usernames.js';
import * as m0030 from './0030-integer-nonces.js';

/**
 * Every migration, in order. A list rather than a glob so that the same code runs from the
 * TypeScript sources (tests) and from dist/ (production); a test checks no file is left out.
 */
export const migrations: { name: string; up: Migration; down: Migration }[] = [
  { name: '0001-initial-schema', ...m0001 },
  { name: '0002-accounts', ...m0002 },
  { name: '0003-servers-permissions', ...m0003 },
  { name: '0004-message-content', ...m0004 },
  { name: '0005-reactions-pins-search', ...m0005 },
  { name: '0006-threads-read-states', ...m0006 },
  { name: '0007-unread-from-index', ...m0007 },
  { name: '0008-attachments', ...m0008 },
  { name: '0009-emojis', ...m0009 },
  { name: '0010-webhooks', ...m0010 },
  { name: '0011-applications', ...m0011 },
  { name: '0012-event-webhooks', ...m0012 },
  { name: '0013-oauth2', ...m0013 },
  { name: '0014-push', ...m0014 },
  { name: '0015-application-commands', ...m0015 },
  { name: '0016-applications-extra', ...m0016 },
  { name: '0017-reports', ...m0017 },
  { name: '0018-automod', ...m0018 },
  { name: '0019-voice', ...m0019 },
  { name: '0020-account-lifecycle', ...m0020 },
  { name: '0021-account-lifecycle', ...m0021 },
  { name: '0022-system-user', ...m0022 },
  { name: '0024-pending-uploads', ...m0024 },
  { name: '0025-outbox', ...m0025 },
  { name: '0026-interaction-deliveries', ...m0026 },
  { name: '0027-file-deletions', ...m0027 },
  { name: '0028-webhook-sealed-tokens', ...m0028 },
  { name: '0029-longer-usernames', ...m0029 },
  { name: '0030-integer-nonces', ...m0030 },
];
