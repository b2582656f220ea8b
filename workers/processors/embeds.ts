import type { Job } from 'bullmq';
import { QueryTypes } from 'sequelize';
import { rooms } from '../../shared/events/index.js';
import { extractPreviewLinks } from '../../shared/markdown/index.js';
import { runCommand } from '../../shared/outbox/index.js';
import { isLinkEmbed, presentLinkEmbed, type LinkEmbed } from '../../shared/presenters/embed.js';
import { presentStoredMessage } from '../../shared/presenters/message-reactions.js';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { contentHash } from '../../shared/domain/messages/previews.js';
import { cachedPreview } from './link-preview.js';

/** JSON with sorted keys: jsonb hands objects back with its own key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * The `embeds` queue: link previews for one version of a message. It reads the message, fetches a
 * preview of each of its first links (workers/processors/link-preview.ts: the SSRF-safe fetcher,
 * metascraper, a Redis cache per URL), replaces the message's link embeds (other embeds stay) and
 * emits MESSAGE_UPDATE (one command: shared/outbox). The write happens only if the content is still the version the job was
 * queued for: an edit in between wins, and has its own job. The message itself never waits for
 * this: it was stored and answered before the job was queued.
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

    // Nothing new (a retry after a commit included: its event was committed with it).
    if (canonical(row.embeds.filter(isLinkEmbed)) === canonical(embeds)) return null;
    return runCommand(rt, rooms.channel(row.channel_id), async (transaction, fx) => {
      const [stored] = await rt.sequelize.query(
        `UPDATE messages
            SET embeds = coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(embeds) e
                                    WHERE e->>'type' IS DISTINCT FROM 'link'), '[]'::jsonb) || $1::jsonb
          WHERE id = $2 AND channel_id = $3 AND content = $4
          RETURNING *`,
        {
          bind: [JSON.stringify(embeds), row.id, row.channel_id, row.content],
          type: QueryTypes.SELECT,
          model: Message,
          mapToModel: true,
          transaction,
        },
      );
      // Edited (or deleted) while the previews were being fetched.
      if (!stored) return null;
      const message = await presentStoredMessage(rt, stored, null, transaction);
      fx.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', message);
      fx.outgoing({ type: 'MESSAGE_UPDATE', channel_id: message.channel_id, data: message });
      return embeds.length;
    });
  };
}
