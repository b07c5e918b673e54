// The app shell: who is signed in, the header, and which page the path names.
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, whenUnauthenticated } from './api/client.ts';
import type { AppConfig, User } from './api/types.ts';
import { Link, match, navigate, usePath, useQueryString } from './router.tsx';
import { SessionContext, useSession, type Session } from './session.tsx';
import { ErrorNote, Loading } from './components/ui.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { RoomsPage } from './pages/Rooms.tsx';
import { RoomFormPage } from './pages/RoomForm.tsx';
import { RoomActionItemsPage } from './pages/RoomActionItems.tsx';
import { RoomPage } from './pages/Room.tsx';
import { TranscriptPage } from './pages/Transcript.tsx';
import { RecordingsPage } from './pages/Recordings.tsx';
import { NotFoundPage } from './pages/NotFound.tsx';
import { AccountPage, ApiKeysPage, UsersPage } from './pages/Accounts.tsx';
import { MeetingsPage } from './pages/Meetings.tsx';
import { MeetingPage } from './pages/Meeting.tsx';
import { SearchPage } from './pages/Search.tsx';

type Boot = { state: 'loading' } | { state: 'failed'; error: unknown } | { state: 'ready'; user: User | null; local: boolean; config: AppConfig };

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const path = usePath();

  const load = useCallback(async () => {
    try {
      const [user, config] = await Promise.all([api.me(), api.appConfig()]);
      setBoot({ state: 'ready', user: user ?? null, local: user === undefined, config });
    } catch (error) {
      setBoot({ state: 'failed', error });
    }
  }, []);
  useEffect(() => void load(), [load]);
  useEffect(() => whenUnauthenticated(() => setBoot((b) => (b.state === 'ready' ? { ...b, user: null } : b))), []);

  const session = useMemo<Session | null>(() => {
    if (boot.state !== 'ready') return null;
    return {
      user: boot.user,
      local: boot.local,
      config: boot.config,
      signedIn: (user) => setBoot({ ...boot, user }),
      signOut: async () => {
        await api.logout().catch(() => undefined);
        setBoot({ ...boot, user: null });
        navigate('/signin');
      },
    };
  }, [boot]);

  if (boot.state === 'loading') return <main className="container"><Loading what="the app" /></main>;
  if (boot.state === 'failed') return <main className="container"><ErrorNote error={boot.error} title="The app could not start" /></main>;

  const signedOut = !session!.local && !session!.user;
  // A transcript opened through a public link needs no account.
  const publicLink = signedOut && match('/transcripts/:id', path) && shareParam();
  // A room's address is its invitation: people without an account may join rooms that allow guests.
  const guestInRoom = signedOut && isRoomPath(path);
  return (
    <SessionContext.Provider value={session}>
      <a className="skip-link" href="#main">Skip to content</a>
      <Header />
      <main id="main" className="container" tabIndex={-1}>
        {signedOut && !publicLink && !guestInRoom ? <SignInPage next={path === '/signin' ? (new URLSearchParams(location.search).get('next') ?? '/') : path + location.search} /> : <Page path={path} admin={session!.user?.role === 'admin'} />}
      </main>
    </SessionContext.Provider>
  );
}

function Page({ path, admin }: { path: string; admin: boolean }) {
  const query = useQueryString();
  let params: Record<string, string> | null;
  if (path === '/' || path === '/rooms') return <RoomsPage />;
  if (path === '/signin') return <SignInPage next="/" />;
  if (path === '/rooms/new') return <RoomFormPage />;
  if ((params = match('/rooms/:name/settings', path))) return <RoomFormPage name={params.name} />;
  if ((params = match('/rooms/:name/action-items', path))) return <RoomActionItemsPage key={params.name} roomName={params.name!} />;
  if (path === '/recordings') return <RecordingsPage />;
  if (path === '/meetings') return <MeetingsPage />;
  if ((params = match('/meetings/:id', path))) return <MeetingPage key={params.id} id={params.id!} />;
  // A new search from the header starts the page afresh from the address.
  if (path === '/search') return <SearchPage key={query} />;
  if (path === '/account') return <AccountPage />;
  if (path === '/admin/users') return admin ? <UsersPage /> : <NotFoundPage />;
  if (path === '/account/api-keys') return <ApiKeysPage />;
  if ((params = match('/transcripts/:id', path))) return <TranscriptPage key={params.id + query} id={params.id!} share={shareParam()} startAt={startParam(query)} />;
  if ((params = match('/:roomName', path))) return <RoomPage roomName={params.roomName!} />;
  return <NotFoundPage />;
}

/** Paths that are pages of the app, not room names. */
const APP_PATHS = new Set(['signin', 'rooms', 'meetings', 'recordings', 'transcripts', 'search', 'account', 'admin']);
const isRoomPath = (path: string) => {
  const params = match('/:roomName', path);
  return Boolean(params && !APP_PATHS.has(params.roomName!));
};

/** The page's `?share=` public-link token, if it was opened through one. */
const shareParam = () => new URLSearchParams(location.search).get('share') || undefined;

/** A transcript link's `?t=<seconds>`: the moment to play from. */
function startParam(query: string): number | undefined {
  const t = new URLSearchParams(query).get('t');
  const seconds = t === null || t === '' ? NaN : Number(t);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** The header's search box: opens the search page with what was typed. */
function HeaderSearch() {
  const [q, setQ] = useState('');
  const go = (event: FormEvent) => {
    event.preventDefault();
    if (!q.trim()) return;
    navigate(`/search?${new URLSearchParams({ q: q.trim() })}`);
    setQ('');
  };
  return (
    <form role="search" aria-label="Search transcripts" className="header-search" onSubmit={go}>
      <input type="search" aria-label="Search what was said" placeholder="Search transcripts" value={q} onChange={(e) => setQ(e.target.value)} />
      <button type="submit">Search</button>
    </form>
  );
}

function Header() {
  const session = useSession();
  const path = usePath();
  const current = (prefix: string) => (prefix === '/' ? path === '/' || path.startsWith('/rooms') : path.startsWith(prefix)) ? 'page' : undefined;
  return (
    <header className="site-header">
      <div className="container header-row">
        <Link href="/" className="brand">Meeting recorder</Link>
        {(session.user || session.local) && (
          <nav aria-label="Main">
            <Link href="/" aria-current={current('/')}>Rooms</Link>
            <Link href="/meetings" aria-current={current('/meetings')}>Meetings</Link>
            <Link href="/recordings" aria-current={current('/recordings')}>Recordings</Link>
            {session.user && <Link href="/account/api-keys" aria-current={current('/account/api-keys')}>API keys</Link>}
            {session.user?.role === 'admin' && <Link href="/admin/users" aria-current={current('/admin/users')}>Users</Link>}
          </nav>
        )}
        {(session.user || session.local) && <HeaderSearch />}
        <div className="who">
          {session.user ? (
            <>
              <Link href="/account" className="muted" title={session.user.email} aria-label={`${session.user.displayName || session.user.email}, your account`} aria-current={path === '/account' ? 'page' : undefined}>{session.user.displayName || session.user.email}</Link>
              <button type="button" className="button-link" onClick={() => void session.signOut()}>Sign out</button>
            </>
          ) : session.local ? <span className="muted">Local mode (no accounts)</span> : shareParam() || isRoomPath(path) ? <Link href={`/signin?next=${encodeURIComponent(path)}`}>Sign in</Link> : null}
        </div>
      </div>
    </header>
  );
}
