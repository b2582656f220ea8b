import type { RichEmbedInput } from './schema.js';

/**
 * The `embeds` of a create job for validated rich embeds: each stored with `type: "rich"`, and no
 * key at all when there are none (the worker then stores `[]`).
 */
export function richEmbedsJob(embeds: RichEmbedInput[] | undefined): { embeds?: Record<string, unknown>[] } {
  return embeds && embeds.length > 0 ? { embeds: embeds.map((e) => ({ type: 'rich', ...e })) } : {};
}
