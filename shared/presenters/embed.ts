import type { Config } from '../config/index.js';
import { storedProxyUrl } from '../net/proxy-url.js';

/** What a link preview found on a page (cached per URL by the embeds worker). */
export interface LinkPreview {
  /** The page's canonical URL when it is on the site that answered, else the URL that answered. */
  url: string;
  title: string | null;
  description: string | null;
  /** The site's name (og:site_name, application-name, ...). */
  site_name: string | null;
  /** `<meta name="theme-color">` as 0xRRGGBB. */
  color: number | null;
  /** The preview image's URL on the page's site (og:image, twitter:image, ...). */
  image: string | null;
}

/** A link preview as messages carry it in `embeds`. */
export interface LinkEmbed {
  type: 'link';
  url: string;
  title: string | null;
  description: string | null;
  site_name: string | null;
  color: number | null;
  /** `url` goes through this instance's media proxy; `original_url` is the image on the site. */
  image: { url: string; original_url: string } | null;
}

/** True for the embeds link previews produce (others, e.g. a bot's rich embeds, are left alone). */
export function isLinkEmbed(embed: Record<string, unknown>): boolean {
  return embed.type === 'link';
}

/**
 * The embed for a preview, as a message's `embeds` column stores it: its image is relayed by the
 * media proxy, never loaded from the site by clients (the proxy URL in its stored form:
 * presentMessage makes it absolute).
 */
export function presentLinkEmbed(
  config: Pick<Config, 'server' | 'security' | 'data_dir'>,
  preview: LinkPreview,
): LinkEmbed {
  return {
    type: 'link',
    url: preview.url,
    title: preview.title,
    description: preview.description,
    site_name: preview.site_name,
    color: preview.color,
    image: preview.image ? { url: storedProxyUrl(config, preview.image), original_url: preview.image } : null,
  };
}
