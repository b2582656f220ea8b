import { useRef, useState } from 'preact/hooks';
import { sendMessage, upload, type Channel, type Message } from '../api.ts';

/** How often, at most, typing is announced while the user types (the indicator lasts 10 s). */
const TYPING_EVERY_MS = 8_000;

/** A file on its way up: its progress and, for images, a local preview. */
interface Pending {
  key: string;
  name: string;
  progress: number;
  preview: string | null;
}

const nonce = (): string => `${Date.now()}${Math.floor(Math.random() * 1e6)}`;

/** Reads an image as a data: URL (the CSP allows data: images; blob: is not needed). */
function previewOf(file: File): Promise<string | null> {
  if (!file.type.startsWith('image/')) return Promise.resolve(null);
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : null);
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(file);
  });
}

/** The message box: Enter sends, Shift+Enter is a new line; "Upload" sends files with the text as caption. */
export function Composer({
  channel,
  title,
  onTyping,
  replyTo,
  onCancelReply,
  onSent,
  onError,
}: {
  channel: Channel;
  /** `#general`, or `@bob` for a DM. */
  title: string;
  /** Announces that the user is typing in the channel. */
  onTyping: () => void;
  /** The message being answered, if any. */
  replyTo: Message | null;
  onCancelReply: () => void;
  onSent: () => void;
  onError: (message: string) => void;
}) {
  const [text, setText] = useState('');
  const [pending, setPending] = useState<Pending[]>([]);
  const [sending, setSending] = useState(false);
  const files = useRef<HTMLInputElement>(null);
  const lastTyping = useRef(0);
  const label = `Message ${title}`;

  const send = async (attachments: string[] = []): Promise<void> => {
    const content = text.trim();
    if (!content && attachments.length === 0) return;
    setSending(true);
    try {
      await sendMessage(channel.id, {
        ...(content ? { content } : {}),
        nonce: nonce(),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(replyTo ? { reply_to: replyTo.id } : {}),
      });
      setText('');
      // Sending ends the indicator (the others drop it on the message): typing again announces anew.
      lastTyping.current = 0;
      onSent();
    } catch (err) {
      onError(`Not sent: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setSending(false);
    }
  };

  const uploadFiles = async (list: FileList): Promise<void> => {
    const chosen = [...list];
    const entries = await Promise.all(
      chosen.map(async (file, i) => ({
        key: `${Date.now()}-${i}`,
        name: file.name,
        progress: 0,
        preview: await previewOf(file),
      })),
    );
    setPending((p) => [...p, ...entries]);
    const done = (key: string): void => setPending((p) => p.filter((x) => x.key !== key));
    const ids: string[] = [];
    for (const [i, file] of chosen.entries()) {
      const key = entries[i]?.key ?? '';
      try {
        const attachment = await upload(file, (progress) =>
          setPending((p) => p.map((x) => (x.key === key ? { ...x, progress } : x))),
        );
        ids.push(attachment.id);
      } catch (err) {
        onError(`${file.name} was not uploaded: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        done(key);
      }
    }
    if (ids.length > 0) await send(ids);
  };

  return (
    <form
      class="composer"
      aria-label="Send a message"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {replyTo && (
        <p class="replying">
          Replying to: {replyTo.content.slice(0, 80)}{' '}
          <button type="button" class="link" onClick={onCancelReply}>
            Cancel reply
          </button>
        </p>
      )}
      {pending.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {pending.map((p) => (
            <li key={p.key}>
              {p.preview && <img src={p.preview} alt={`Preview of ${p.name}`} />}
              <span>{p.name}</span>
              <progress max={1} value={p.progress} aria-label={`Uploading ${p.name}`} />
            </li>
          ))}
        </ul>
      )}
      <div class="row">
        <button type="button" class="secondary" onClick={() => files.current?.click()}>
          Upload
        </button>
        <input
          ref={files}
          type="file"
          multiple
          hidden
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            const list = e.currentTarget.files;
            if (list && list.length > 0) void uploadFiles(list);
            e.currentTarget.value = '';
          }}
        />
        <textarea
          aria-label={label}
          placeholder={label}
          rows={1}
          value={text}
          readOnly={sending}
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (Date.now() - lastTyping.current > TYPING_EVERY_MS) {
              lastTyping.current = Date.now();
              onTyping();
            }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="submit" disabled={sending}>
          Send
        </button>
      </div>
    </form>
  );
}
