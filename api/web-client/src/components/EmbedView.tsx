import { onThisOrigin, type Embed } from '../api.ts';

/** A URL of this origin (the media proxy, uploads): the only images the page's CSP lets it show. */
function sameOrigin(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url, location.href).origin === location.origin ? url : null;
  } catch {
    return null;
  }
}

/** A web link, only when it is http(s): an embed's url comes from a page or a bot, never trusted. */
function webLink(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return ['http:', 'https:'].includes(new URL(url, location.href).protocol) ? url : null;
  } catch {
    return null;
  }
}

/**
 * A link preview or a bot's rich embed, drawn as text (never as HTML): site, title (linked),
 * description, fields, and its image when it comes through this instance.
 */
export function EmbedView({ embed }: { embed: Embed }) {
  const href = webLink(embed.url);
  // A link preview's image is always this instance's media proxy (handed out absolute).
  const preview = embed.type === 'link' && embed.image?.url ? onThisOrigin(embed.image.url) : undefined;
  const image = sameOrigin(preview ?? embed.image?.url) ?? sameOrigin(embed.thumbnail?.url);
  const color = typeof embed.color === 'number' ? `#${embed.color.toString(16).padStart(6, '0')}` : undefined;
  return (
    <article
      class="embed"
      style={color ? { borderLeftColor: color } : undefined}
      aria-label={embed.title ?? 'Link preview'}
    >
      {embed.site_name && <p class="site">{embed.site_name}</p>}
      {embed.author?.name && <p class="site">{embed.author.name}</p>}
      {embed.title && (
        <p class="title">
          {href ? (
            <a href={href} target="_blank" rel="noopener noreferrer nofollow">
              {embed.title}
            </a>
          ) : (
            embed.title
          )}
        </p>
      )}
      {embed.description && <p class="description">{embed.description}</p>}
      {embed.fields && embed.fields.length > 0 && (
        <dl>
          {embed.fields.map((f, i) => (
            <div key={i}>
              <dt>{f.name}</dt>
              <dd>{f.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {image && (
        <img src={image} alt={embed.title ? `Image for ${embed.title}` : 'Preview image'} loading="lazy" />
      )}
      {embed.footer?.text && <p class="footer">{embed.footer.text}</p>}
    </article>
  );
}
