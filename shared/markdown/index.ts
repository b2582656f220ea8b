export { renderMessageHtml } from './render.js';
export type { RenderContext } from './render.js';
export { extractMentions, MAX_MENTIONS_PER_KIND } from './mentions.js';
export type { ExtractedMentions } from './mentions.js';
export { extractLinks, extractPreviewLinks, MAX_PREVIEW_LINKS } from './links.js';
