import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import {
  history,
  joinInvite,
  logout,
  myServers,
  openDm,
  previewInvite,
  serverChannels,
  serverRoles,
  type Channel,
  type Session,
} from '../api.ts';
import { Gateway, type Dispatch } from '../gateway.ts';
import { DMS, channelInPath, channelPath, takeInvite } from '../routes.ts';
import { initialState, reduce } from '../store.ts';
import { rememberUser } from '../users.ts';
import { ChannelView } from './ChannelView.tsx';
import { CreateServerDialog } from './CreateServerDialog.tsx';
import { Friends } from './Friends.tsx';
import { MemberList, StatusPicker } from './MemberList.tsx';
import { ServerSettings, canManageServer } from './ServerSettings.tsx';
import { VoicePanel } from './VoicePanel.tsx';
import { VoiceSession } from '../voice.ts';

/** How many messages one history page asks for. */
const PAGE = 50;
/** How long a typing indicator lasts without a new TYPING_START (the server's own interval is 10 s). */
const TYPING_MS = 10_000;

const TEXT_TYPES = new Set(['text', 'announcement', 'dm']);

/** A channel's name as listed: a DM is named after the other person. */
function nameOf(c: Channel): string {
  return c.server_id ? c.name : (c.recipients?.map((u) => u.username).join(', ') ?? c.name);
}

/** Channels of a server in the order they are listed: by position, then id. */
function listed(channels: Channel[], serverId: string | null): Channel[] {
  return channels
    .filter(
      (c) =>
        c.server_id === serverId &&
        !c.channel_type.endsWith('thread') &&
        (serverId !== null || c.channel_type === 'dm'),
    )
    .sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
}

/** The signed-in chat: servers, channels, the open channel, realtime over the gateway. */
export function Chat({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const [state, dispatch] = useReducer(reduce, session.user, initialState);
  const [route, setRoute] = useState(() => channelInPath(location.pathname));
  const [creating, setCreating] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  // Bumped when someone joins a server: the member list is fetched again for their presence.
  const [joined, setJoined] = useState(0);
  /** The voice connection, while the user is in a voice channel. */
  const [voice, setVoice] = useState<{ channelId: string; session: VoiceSession } | null>(null);
  const [voiceJoining, setVoiceJoining] = useState(false);
  const [muted, setMuted] = useState(false);
  const [receiving, setReceiving] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const gateway = useRef<Gateway | null>(null);
  const loading = useRef(new Set<string>());

  const navigate = useCallback((serverId: string, channelId: string | null, replace = false) => {
    const path = channelId ? channelPath(serverId, channelId) : `/app/channels/${serverId}`;
    if (location.pathname !== path) history_[replace ? 'replaceState' : 'pushState'](null, '', path);
    setRoute({ serverId, channelId });
  }, []);

  // The realtime connection, for as long as the chat is shown.
  useEffect(() => {
    rememberUser(session.user);
    const onDispatch = (e: Dispatch): void => {
      switch (e.t) {
        case 'READY':
          dispatch({ type: 'ready', d: e.d });
          setReady(true);
          return;
        case 'MESSAGE_CREATE':
        case 'MESSAGE_UPDATE':
          dispatch({ type: 'message', message: e.d });
          return;
        case 'MESSAGE_DELETE':
          dispatch({ type: 'message_gone', channelId: e.d.channel_id, ids: [e.d.id] });
          return;
        case 'MESSAGE_DELETE_BULK':
          dispatch({ type: 'message_gone', channelId: e.d.channel_id, ids: e.d.ids });
          return;
        case 'MESSAGE_REACTION_ADD':
        case 'MESSAGE_REACTION_REMOVE':
          dispatch({ type: 'reaction', event: e.d, added: e.t === 'MESSAGE_REACTION_ADD' });
          return;
        case 'SERVER_CREATE':
        case 'SERVER_UPDATE':
          dispatch({ type: 'server', server: e.d });
          return;
        case 'SERVER_DELETE':
          dispatch({ type: 'server_gone', id: e.d.id });
          return;
        case 'CHANNEL_CREATE':
        case 'CHANNEL_UPDATE':
          dispatch({ type: 'channel', channel: e.d });
          return;
        case 'CHANNEL_DELETE':
          dispatch({ type: 'channel_gone', id: e.d.id });
          return;
        case 'RELATIONSHIP_ADD':
          dispatch({ type: 'relationship', relationship: e.d });
          return;
        case 'RELATIONSHIP_REMOVE':
          dispatch({ type: 'relationship_gone', userId: e.d.id });
          return;
        case 'TYPING_START':
          if (e.d.user_id === session.user.id) return;
          dispatch({
            type: 'typing',
            channelId: e.d.channel_id,
            userId: e.d.user_id,
            until: Date.now() + TYPING_MS,
          });
          return;
        case 'PRESENCE_UPDATE':
          dispatch({ type: 'presences', presences: [e.d] });
          return;
        case 'SERVER_MEMBER_ADD':
          dispatch({ type: 'member', member: e.d });
          setJoined((n) => n + 1);
          return;
        case 'SERVER_MEMBER_UPDATE':
          dispatch({ type: 'member', member: e.d });
          return;
        case 'SERVER_MEMBER_REMOVE':
          dispatch({ type: 'member_gone', serverId: e.d.server_id, userId: e.d.user.id });
          return;
        case 'ROLE_CREATE':
        case 'ROLE_UPDATE':
          dispatch({ type: 'role', role: e.d });
          return;
        case 'ROLE_DELETE':
          dispatch({ type: 'role_gone', serverId: e.d.server_id, roleId: e.d.id });
          return;
        case 'VOICE_STATE_UPDATE':
          dispatch({ type: 'voice_state', state: e.d });
          return;
        case 'RESUMED':
        case 'INVALID_SESSION':
          // The gateway handles these itself.
          return;
      }
    };
    const gw = new Gateway(
      session.token,
      onDispatch,
      (connection) => dispatch({ type: 'connection', state: connection }),
      () => {
        loading.current.clear();
        dispatch({ type: 'resync' });
      },
      (message) => setError(`Not connected: ${message}`),
    );
    gateway.current = gw;
    const back = (): void => setRoute(channelInPath(location.pathname));
    window.addEventListener('popstate', back);
    return () => {
      window.removeEventListener('popstate', back);
      gw.close();
    };
  }, [session]);

  // Once READY: join a waiting invite, or open what the path names, or the first server.
  useEffect(() => {
    if (!ready) return;
    const code = takeInvite();
    if (!code) return;
    void (async () => {
      try {
        const preview = await previewInvite(code);
        await joinInvite(code);
        dispatch({ type: 'servers', servers: await myServers() });
        dispatch({
          type: 'channels',
          serverId: preview.server.id,
          channels: await serverChannels(preview.server.id),
        });
        navigate(preview.server.id, preview.channel.id, true);
      } catch (err) {
        setError(`The invite could not be used: ${err instanceof Error ? err.message : String(err)}`);
        history_.replaceState(null, '', '/app/');
      }
    })();
  }, [ready, navigate]);

  const inDms = route?.serverId === DMS;
  const server = state.servers.find((s) => s.id === route?.serverId) ?? null;
  const channels = useMemo(
    () => (inDms ? listed(state.channels, null) : server ? listed(state.channels, server.id) : []),
    [state.channels, server, inDms],
  );
  const channel = channels.find((c) => c.id === route?.channelId) ?? null;

  /** Opens the DM with `userId` (POST /users/@me/channels creates it once). */
  const openDmWith = useCallback(
    async (userId: string): Promise<void> => {
      try {
        const dm = await openDm(userId);
        dispatch({ type: 'channel', channel: dm });
        navigate(DMS, dm.id);
      } catch (err) {
        setError(`The conversation could not be opened: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    [navigate],
  );

  // A server without a channel in the path opens its first text channel; no server, the first one.
  useEffect(() => {
    if (!ready || inDms) return;
    if (!server) {
      const first = state.servers[0];
      if (first && !inviteWaiting()) navigate(first.id, null, true);
      return;
    }
    if (!channel) {
      const first = channels.find((c) => TEXT_TYPES.has(c.channel_type));
      if (first) navigate(server.id, first.id, true);
    }
  }, [ready, inDms, server, channel, channels, state.servers, navigate]);

  useEffect(() => {
    dispatch({ type: 'open', channelId: channel?.id ?? null });
  }, [channel?.id]);

  // The open server's members with their presences, and its roles (for who may manage it).
  const serverId = server?.id ?? null;
  useEffect(() => {
    if (!ready || !serverId || state.connection !== 'online') return;
    void (async () => {
      try {
        const [found, roles] = await Promise.all([
          gateway.current?.requestMembers(serverId),
          serverRoles(serverId),
        ]);
        if (found) {
          dispatch({ type: 'members', serverId, members: found.members });
          dispatch({ type: 'presences', presences: found.presences });
        }
        dispatch({ type: 'roles', serverId, roles });
      } catch (err) {
        setError(`Members could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
  }, [ready, serverId, state.connection, joined]);

  const members = serverId ? state.members[serverId] : undefined;
  const roles = serverId ? state.roles[serverId] : undefined;
  const myStatus = state.presences[state.me.id] ?? 'online';
  const mayManage =
    server !== null &&
    canManageServer(
      server,
      roles ?? [],
      members?.find((m) => m.user.id === state.me.id),
    );

  /** Fetches the page before the oldest loaded message (the first page when nothing is loaded). */
  const loadOlder = useCallback(async (channelId: string, before?: string): Promise<void> => {
    const key = `${channelId}:${before ?? ''}`;
    if (loading.current.has(key)) return;
    loading.current.add(key);
    try {
      dispatch({ type: 'start', channelId });
      const page = await history(channelId, before, PAGE);
      dispatch({ type: 'older', channelId, page, limit: PAGE });
    } catch (err) {
      loading.current.delete(key);
      setError(`History could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, []);

  const openHistory = channel ? state.history[channel.id] : undefined;
  useEffect(() => {
    if (channel && TEXT_TYPES.has(channel.channel_type) && !openHistory) void loadOlder(channel.id);
  }, [channel, openHistory, loadOlder]);

  const joinVoice = async (channelId: string): Promise<void> => {
    const gw = gateway.current;
    if (!gw) return;
    setVoiceJoining(true);
    try {
      voice?.session.close();
      const server = await gw.joinVoice(channelId);
      if (!server) throw new Error('No voice server answered');
      const session = await VoiceSession.start(server, setReceiving);
      setMuted(false);
      setVoice({ channelId, session });
    } catch (err) {
      void gw.joinVoice(null).catch(() => undefined);
      setError(`Voice could not be joined: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setVoiceJoining(false);
    }
  };

  // Signing out (the chat unmounts) ends the voice connection and releases the microphone.
  const voiceSession = voice?.session;
  useEffect(() => () => voiceSession?.close(), [voiceSession]);

  const leaveVoice = (): void => {
    voice?.session.close();
    setVoice(null);
    setReceiving([]);
    void gateway.current?.joinVoice(null).catch(() => undefined);
  };

  const setVoiceMuted = (next: boolean): void => {
    if (!voice) return;
    setMuted(next);
    voice.session.setMuted(next).then(
      // Others see the mute in the voice state (the same channel: no new connection).
      () => gateway.current?.joinVoice(voice.channelId, next).catch(() => undefined),
      (err: unknown) => setError(`Mute failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  };

  const signOut = async (): Promise<void> => {
    await logout().catch(() => undefined);
    onSignedOut();
  };

  return (
    <div class="chat">
      <nav class="servers" aria-label="Servers">
        <a
          href={`/app/channels/${DMS}`}
          aria-current={inDms ? 'page' : undefined}
          onClick={(e) => {
            e.preventDefault();
            navigate(DMS, null);
          }}
        >
          Direct messages
        </a>
        <ul>
          {state.servers.map((s) => (
            <li key={s.id}>
              <a
                href={`/app/channels/${s.id}`}
                aria-current={s.id === server?.id ? 'page' : undefined}
                title={s.name}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(s.id, null);
                }}
              >
                {s.name}
              </a>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => setCreating(true)}>
          Create server
        </button>
      </nav>
      <nav class="channels" aria-label="Channels">
        <h2>{inDms ? 'Direct messages' : (server?.name ?? 'No server yet')}</h2>
        {inDms && (
          <Friends
            relationships={state.relationships}
            onMessage={(id) => void openDmWith(id)}
            onError={setError}
          />
        )}
        <ul>
          {channels.map((c) => {
            const unread = state.unread[c.id] ?? 0;
            const mentions = state.mentions[c.id] ?? 0;
            return (
              <li key={c.id} class={unread > 0 ? 'unread' : undefined}>
                <a
                  href={channelPath(c.server_id ?? DMS, c.id)}
                  aria-current={c.id === channel?.id ? 'page' : undefined}
                  aria-describedby={unread > 0 ? `badge-${c.id}` : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(c.server_id ?? DMS, c.id);
                  }}
                >
                  {/* The sign is decoration: the link's accessible name is the channel's name alone. */}
                  {c.server_id && <span aria-hidden="true"># </span>}
                  {nameOf(c)}
                </a>
                {unread > 0 && (
                  <span id={`badge-${c.id}`} class={mentions > 0 ? 'badge mention' : 'badge'}>
                    {mentions > 0
                      ? `${mentions} ${mentions === 1 ? 'mention' : 'mentions'}`
                      : `${unread} unread`}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
        {server && mayManage && (
          <button type="button" class="secondary" onClick={() => setSettingsOpen(true)}>
            Server settings
          </button>
        )}
        <div class="me">
          <span>
            Signed in as <strong>{state.me.username}</strong>
          </span>
          <StatusPicker
            status={myStatus}
            onChange={(status) => {
              void gateway.current?.setStatus(status).then(
                () =>
                  dispatch({
                    type: 'presences',
                    presences: [{ user_id: state.me.id, status, activity: null }],
                  }),
                (err: unknown) =>
                  setError(
                    `The status could not be set: ${err instanceof Error ? err.message : String(err)}`,
                  ),
              );
            }}
          />
          <button type="button" class="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </nav>
      <main class="channel">
        <p class={`connection ${state.connection}`} role="status">
          {state.connection === 'online' ? '' : state.connection === 'offline' ? 'Offline' : 'Connecting…'}
        </p>
        {error && (
          <p role="alert" class="error">
            {error}{' '}
            <button type="button" class="link" onClick={() => setError(null)}>
              Dismiss
            </button>
          </p>
        )}
        {channel && channel.channel_type === 'voice' ? (
          <VoicePanel
            channel={channel}
            states={Object.values(state.voice).filter((v) => v.channel_id === channel.id)}
            meId={state.me.id}
            joined={voice?.channelId === channel.id}
            joining={voiceJoining}
            muted={muted}
            receiving={receiving}
            onJoin={() => void joinVoice(channel.id)}
            onMute={setVoiceMuted}
            onLeave={leaveVoice}
          />
        ) : channel && openHistory ? (
          <ChannelView
            channel={channel}
            title={channel.server_id ? `#${channel.name}` : `@${nameOf(channel)}`}
            history={openHistory}
            typing={state.typing[channel.id] ?? {}}
            me={state.me}
            onLoadOlder={(before) => loadOlder(channel.id, before)}
            onTyping={() => {
              // A gateway command: a throttled one is only a refused ack, never an error to show.
              void gateway.current?.startTyping(channel.id).catch(() => undefined);
            }}
            onOpenDm={(id) => void openDmWith(id)}
            onError={setError}
          />
        ) : (
          <div class="empty">
            <h1>Welcome to Plexichat</h1>
            <p>
              {state.servers.length === 0
                ? 'Create a server to start chatting, or open an invite link.'
                : 'Pick a channel.'}
            </p>
          </div>
        )}
      </main>
      {server && members && <MemberList members={members} presences={state.presences} meId={state.me.id} />}
      {server && settingsOpen && (
        <ServerSettings
          server={server}
          roles={roles ?? []}
          members={members ?? []}
          channels={channels}
          onRoles={(next) => dispatch({ type: 'roles', serverId: server.id, roles: next })}
          onMember={(member) => dispatch({ type: 'member', member })}
          onClose={() => setSettingsOpen(false)}
        />
      )}
      {creating && (
        <CreateServerDialog
          onClose={() => setCreating(false)}
          onCreated={(created, createdChannels) => {
            setCreating(false);
            dispatch({ type: 'server', server: created });
            dispatch({ type: 'channels', serverId: created.id, channels: createdChannels });
            navigate(created.id, listed(createdChannels, created.id)[0]?.id ?? null);
          }}
        />
      )}
    </div>
  );
}

/** The History API (named apart from the message history). */
const history_ = window.history;

function inviteWaiting(): boolean {
  return location.pathname.startsWith('/app/invite/');
}
