import { useState } from 'preact/hooks';
import { createServer, serverChannels, type Channel, type Server } from '../api.ts';
import { Dialog } from './Dialog.tsx';

/** Asks for a name and creates a server (it comes with a #general channel). */
export function CreateServerDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (server: Server, channels: Channel[]) => void;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const create = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const server = await createServer(name.trim());
      onCreated(server, await serverChannels(server.id));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Create a server" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label>
          Server name
          <input value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <div class="buttons">
          <button type="submit" disabled={busy}>
            Create
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
