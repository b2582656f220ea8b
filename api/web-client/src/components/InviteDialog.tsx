import { useEffect, useState } from 'preact/hooks';
import { createInvite, type Channel } from '../api.ts';
import { inviteLink } from '../routes.ts';
import { Dialog } from './Dialog.tsx';

/** Creates an invite to the channel and shows its link (opening it signed in joins the server). */
export function InviteDialog({ channel, onClose }: { channel: Channel; onClose: () => void }) {
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    createInvite(channel.id).then(
      (invite) => setLink(inviteLink(invite.code)),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [channel.id]);
  return (
    <Dialog title="Invite people" onClose={onClose}>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!link && !error && <p>Creating an invite…</p>}
      {link && (
        <>
          <p>Share this link; it is valid for a day.</p>
          <label>
            Invite link
            <input readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          </label>
        </>
      )}
      <div class="buttons">
        {link && (
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard?.writeText(link).then(() => setCopied(true));
            }}
          >
            {copied ? 'Copied' : 'Copy link'}
          </button>
        )}
        <button type="button" class="secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
