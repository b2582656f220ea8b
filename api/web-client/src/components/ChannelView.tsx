import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Channel, Message, User } from '../api.ts';
import type { History } from '../store.ts';
import { Composer } from './Composer.tsx';
import { InviteDialog } from './InviteDialog.tsx';
import { MessageItem } from './MessageItem.tsx';
import { TypingLine } from './TypingLine.tsx';

/** Within this many pixels of the bottom, new messages keep the view scrolled to the bottom. */
const STICK_PX = 80;

/** The open channel: its header, history (older pages load on scrolling up), typing line, composer. */
export function ChannelView({
  channel,
  title,
  history,
  typing,
  me,
  onLoadOlder,
  onTyping,
  onOpenDm,
  onError,
}: {
  channel: Channel;
  /** How the channel is named: `#general`, or `@bob` for a DM. */
  title: string;
  history: History;
  typing: Record<string, number>;
  me: User;
  onLoadOlder: (before: string | undefined) => Promise<void>;
  onTyping: () => void;
  onOpenDm: (userId: string) => void;
  onError: (message: string) => void;
}) {
  const [inviting, setInviting] = useState(false);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const older = useRef<HTMLButtonElement>(null);
  /** Where the view was before older messages were put above it (to keep the same messages in view). */
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const atBottom = useRef(true);
  const first = history.items[0]?.id;
  const last = history.items[history.items.length - 1]?.id;

  const loadOlder = (): void => {
    const el = scroller.current;
    if (el) anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    void onLoadOlder(first);
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current && first) {
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [first, last, channel.id]);

  // Infinite scroll upward: the "load older" button coming into view loads the page before.
  useEffect(() => {
    const el = scroller.current;
    const button = older.current;
    if (!el || !button || !history.hasMore) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && history.items.length > 0) loadOlder();
      },
      { root: el, rootMargin: '200px 0px 0px 0px' },
    );
    observer.observe(button);
    return () => observer.disconnect();
  });

  return (
    <>
      <header class="channel-header">
        <h1>{title}</h1>
        {channel.topic && <p class="topic">{channel.topic}</p>}
        {channel.server_id && (
          <button type="button" onClick={() => setInviting(true)}>
            Invite people
          </button>
        )}
      </header>
      <div
        class="scroller"
        ref={scroller}
        tabIndex={0}
        aria-label={`History of ${title}`}
        role="region"
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
        }}
      >
        {history.hasMore ? (
          <button type="button" class="link older" ref={older} onClick={loadOlder}>
            Load older messages
          </button>
        ) : (
          <p class="start">This is the start of {title}.</p>
        )}
        <ol aria-label="Messages" class="messages">
          {history.items.map((m) => (
            <MessageItem
              key={m.id}
              message={m}
              replied={m.reply_to ? history.items.find((x) => x.id === m.reply_to) : undefined}
              me={me}
              onReply={setReplyTo}
              onOpenDm={onOpenDm}
              onError={onError}
            />
          ))}
        </ol>
      </div>
      <TypingLine typing={typing} />
      <Composer
        channel={channel}
        title={title}
        onTyping={onTyping}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
        onSent={() => {
          atBottom.current = true;
          setReplyTo(null);
        }}
        onError={onError}
      />
      {inviting && <InviteDialog channel={channel} onClose={() => setInviting(false)} />}
    </>
  );
}
