import type { Attachment, Message, User } from '../api.ts';
import { useUser } from '../users.ts';

const time = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

function AttachmentView({ attachment }: { attachment: Attachment }) {
  if (attachment.content_type.startsWith('image/')) {
    return (
      <a href={attachment.url} target="_blank" rel="noopener" class="attachment image">
        <img
          src={attachment.url}
          alt={attachment.filename}
          width={attachment.width}
          height={attachment.height}
          loading="lazy"
        />
      </a>
    );
  }
  return (
    <a href={attachment.url} download={attachment.filename} class="attachment file">
      {attachment.filename} ({Math.ceil(attachment.size / 1024)} KB)
    </a>
  );
}

/** One message: author, time, the server's sanitized Markdown rendering, attachments. */
export function MessageItem({ message, me }: { message: Message; me: User }) {
  const author = useUser(message.author?.id ?? message.author_id);
  const name = message.author?.username ?? author?.username ?? '…';
  const mentioned = message.mention_everyone || message.mentions.includes(me.id);
  return (
    <li class={mentioned ? 'message mentioned' : 'message'} data-message-id={message.id}>
      <div class="meta">
        <strong class="author">{name}</strong>{' '}
        <time dateTime={new Date(message.created_at * 1000).toISOString()}>
          {time.format(new Date(message.created_at * 1000))}
        </time>
        {message.edited_at !== null && <span class="edited"> (edited)</span>}
      </div>
      {/* content_html is the server's sanitized rendering: the only field ever inserted as HTML. */}
      {message.content_html && (
        <div class="content" dangerouslySetInnerHTML={{ __html: message.content_html }} />
      )}
      {message.attachments.length > 0 && (
        <div class="attachments">
          {message.attachments.map((a) => (
            <AttachmentView key={a.id} attachment={a} />
          ))}
        </div>
      )}
    </li>
  );
}
