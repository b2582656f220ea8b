import type { Job } from 'bullmq';
import { extractPreviewLinks } from '../../shared/markdown/index.js';
import { presentLinkEmbed, type LinkEmbed } from '../../shared/presenters/embed.js';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { storeLinkEmbeds } from '../../shared/domain/messages/link-embeds.js';
import { contentHash } from '../../shared/domain/messages/previews.js';
import { cachedPreview } from './link-preview.js';

/**
 * The `embeds` queue: link previews for one version of a message. It reads the message, fetches a
 * preview of each of its first links (workers/processors/link-preview.ts: the SSRF-safe fetcher,
 * metascraper, a Redis cache per URL) and stores them (shared/domain/messages/link-embeds.ts: the
 * message's link embeds replaced and MESSAGE_UPDATE, only if the content is still the version the
 * job was queued for). The message itself never waits for this: it was stored and answered before
 * the job was queued.
 */
export function createEmbedsProcessor(rt: Runtime) {
  const { Message } = rt.models;

  return async (job: Job<JobPayload<'embeds'>>): Promise<JobResult<'embeds'>> => {
    const data = job.data;
    const row = await Message.findOne({ where: { id: data.message_id, channel_id: data.channel_id } });
    // Deleted, or edited since: the edit queued its own job.
    if (!row || contentHash(row.content) !== data.content_hash) return null;

    const links = data.embed_links ? extractPreviewLinks(row.content) : [];
    const previews = await Promise.all(links.map((url) => cachedPreview(rt, url)));
    const embeds: LinkEmbed[] = previews.flatMap((p) => (p ? [presentLinkEmbed(rt.config, p)] : []));

    return storeLinkEmbeds(rt, row, embeds);
  };
}
