import { useState } from 'preact/hooks';
import {
  deleteMessage,
  editMessage,
  onThisOrigin,
  react,
  setRelationship,
  type Attachment,
  type Message,
  type User,
} from '../api.ts';
import { useUser } from '../users.ts';
import { EmbedView } from './EmbedView.tsx';

const time = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** The reactions offered by the "Add reaction" menu. */
const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '👀'];

/** What a system message (a member joined, a pin) says, in place of content. */
const SYSTEM_TEXT: Record<string, string> = {
  member_join: 'joined the server.',
  pin_added: 'pinned a message.',
  thread_created: 'started a thread.',
  channel_name_change: 'renamed the channel.',
};

function AttachmentView({ attachment }: { attachment: Attachment }) {
  const url = onThisOrigin(attachment.url);
  if (attachment.content_type.startsWith('image/')) {
    return (
      <a href={url} target="_blank" rel="noopener" class="attachment image">
        <img
          src={url}
          alt={attachment.filename}
          width={attachment.width}
          height={attachment.height}
          loading="lazy"
        />
      </a>
    );
  }
  return (
    <a href={url} download={attachment.filename} class="attachment file">
      {attachment.filename} ({Math.ceil(attachment.size / 1024)} KB)
    </a>
  );
}

function Name({ message }: { message: Pick<Message, 'author' | 'author_id'> }) {
  const author = useUser(message.author?.id ?? message.author_id);
  return <>{message.author?.username ?? author?.username ?? '…'}</>;
}

/** The line above a reply: who is answered and the start of what they said. */
function ReplyContext({ replied }: { replied: Message | undefined }) {
  if (!replied) return <p class="reply-context">Replying to an earlier message</p>;
  return (
    <p class="reply-context">
      Replying to <Name message={replied} />: {replied.content.slice(0, 80)}
    </p>
  );
}

/** The editing box: Enter saves, Escape cancels. */
function EditBox({
  message,
  onDone,
  onError,
}: {
  message: Message;
  onDone: () => void;
  onError: (m: string) => void;
}) {
  const [text, setText] = useState(message.content);
  const save = async (): Promise<void> => {
    if (text.trim() === message.content) return onDone();
    try {
      await editMessage(message.channel_id, message.id, text.trim());
      onDone();
    } catch (err) {
      onError(`Not saved: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <textarea
      class="edit"
      aria-label="Edit message"
      value={text}
      ref={(el) => el?.focus()}
      onInput={(e) => setText(e.currentTarget.value)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onDone();
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          void save();
        }
      }}
    />
  );
}

/**
 * One message: author, time, the server's sanitized Markdown rendering, attachments, reactions,
 * and its actions (reply, react; edit and delete for one's own).
 */
export function MessageItem({
  message,
  replied,
  me,
  onReply,
  onOpenDm,
  onError,
}: {
  message: Message;
  /** The message this one answers, when it is loaded. */
  replied: Message | undefined;
  me: User;
  onReply: (message: Message) => void;
  onOpenDm: (userId: string) => void;
  onError: (message: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [picking, setPicking] = useState(false);
  const mentioned = message.mention_everyone || message.mentions.includes(me.id);
  const mine = message.author_id === me.id && !message.author;
  const system = SYSTEM_TEXT[message.type];
  const fail = (what: string) => (err: unknown) =>
    onError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const toggle = (emoji: string, on: boolean): void => {
    setPicking(false);
    react(message.channel_id, message.id, emoji, on).catch(fail('The reaction failed'));
  };

  return (
    <li class={mentioned ? 'message mentioned' : 'message'} data-message-id={message.id}>
      {message.reply_to && <ReplyContext replied={replied} />}
      <div class="meta">
        <strong class="author">
          <Name message={message} />
        </strong>{' '}
        {system && <span class="system">{system} </span>}
        <time dateTime={new Date(message.created_at * 1000).toISOString()}>
          {time.format(new Date(message.created_at * 1000))}
        </time>
        {message.edited_at !== null && <span class="edited"> (edited)</span>}
      </div>
      {editing ? (
        <EditBox message={message} onDone={() => setEditing(false)} onError={onError} />
      ) : (
        // content_html is the server's sanitized rendering: the only field ever inserted as HTML.
        message.content_html && (
          <div class="content" dangerouslySetInnerHTML={{ __html: message.content_html }} />
        )
      )}
      {message.attachments.length > 0 && (
        <div class="attachments">
          {message.attachments.map((a) => (
            <AttachmentView key={a.id} attachment={a} />
          ))}
        </div>
      )}
      {message.embeds.length > 0 && (
        <div class="embeds">
          {message.embeds.map((embed, i) => (
            <EmbedView key={i} embed={embed} />
          ))}
        </div>
      )}
      {message.reactions.length > 0 && (
        <div class="reactions">
          {message.reactions.map((r) => (
            <button
              type="button"
              key={r.emoji}
              class="reaction"
              aria-pressed={r.me}
              aria-label={`${r.emoji} ${r.count} ${r.count === 1 ? 'reaction' : 'reactions'}`}
              onClick={() => toggle(r.emoji, !r.me)}
            >
              {r.emoji} {r.count}
            </button>
          ))}
        </div>
      )}
      {!system && (
        <div class="actions">
          <button type="button" class="link" onClick={() => onReply(message)}>
            Reply
          </button>
          <button type="button" class="link" aria-expanded={picking} onClick={() => setPicking(!picking)}>
            Add reaction
          </button>
          {!mine && !message.author && (
            <>
              <button type="button" class="link" onClick={() => onOpenDm(message.author_id)}>
                Direct message
              </button>
              <button
                type="button"
                class="link"
                onClick={() =>
                  void setRelationship(message.author_id, 'friend').catch(fail('No friend request'))
                }
              >
                Add friend
              </button>
            </>
          )}
          {mine && (
            <button type="button" class="link" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
          {mine && (
            <button
              type="button"
              class="link"
              onClick={() => {
                if (confirm('Delete this message?')) {
                  deleteMessage(message.channel_id, message.id).catch(fail('Not deleted'));
                }
              }}
            >
              Delete
            </button>
          )}
          {picking && (
            <span role="group" aria-label="Reactions" class="picker">
              {QUICK_REACTIONS.map((emoji) => (
                <button
                  type="button"
                  key={emoji}
                  aria-label={`React with ${emoji}`}
                  onClick={() => toggle(emoji, !message.reactions.some((r) => r.emoji === emoji && r.me))}
                >
                  {emoji}
                </button>
              ))}
            </span>
          )}
        </div>
      )}
    </li>
  );
}
