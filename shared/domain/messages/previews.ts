import crypto from 'node:crypto';
import { extractPreviewLinks } from '../../markdown/index.js';
import type { Effects } from '../../outbox/index.js';
import { isLinkEmbed } from '../../presenters/embed.js';
import type { MessageRecord } from '../../presenters/message.js';
import { embedsJobId, type JobPayload } from '../../queues/index.js';

/** sha256 (hex) of a message's content: names the version of it a previews job is for. */
export function contentHash(content: string): string {
  return crypto.createHash('sha256').update(content).digest('hex');
}

/** The fields of a message its previews depend on. */
type PreviewedMessage = Pick<MessageRecord, 'id' | 'channel_id' | 'content' | 'embeds'>;

// Cheap pre-check so that the messages worker parses Markdown again only for content with a URL.
const MAY_HAVE_LINK = /https?:\/\//i;

/**
 * The link previews job for a message just stored or edited, for its command to queue as an
 * effect: when it has links to preview (and the author had EMBED_LINKS), or when it carries link
 * embeds that may now be stale (an edit removed the links, or the author lost EMBED_LINKS). Null:
 * nothing to preview.
 */
export function linkPreviewJob(
  row: PreviewedMessage,
  embedLinks: boolean,
  editId?: string,
): { data: JobPayload<'embeds'>; jobId: string } | null {
  const wanted = embedLinks && MAY_HAVE_LINK.test(row.content) && extractPreviewLinks(row.content).length > 0;
  if (!wanted && !row.embeds.some(isLinkEmbed)) return null;
  const hash = contentHash(row.content);
  return {
    data: { message_id: row.id, channel_id: row.channel_id, content_hash: hash, embed_links: embedLinks },
    jobId: embedsJobId(row.id, hash, editId),
  };
}

/** Link previews of a message just stored or edited, as a follow-up job of its command. */
export function previewEffect(
  fx: Effects,
  row: PreviewedMessage,
  embedLinks: boolean,
  editId?: string,
): void {
  const preview = linkPreviewJob(row, embedLinks, editId);
  if (preview) fx.job('embeds', 'preview', preview.data, { jobId: preview.jobId });
}
