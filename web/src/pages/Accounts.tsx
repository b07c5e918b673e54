// Accounts: the admins' list of users with a form to create one (the API's field messages shown next to
// the fields), everyone's own account (who they are, changing their password), and everyone's API keys
// (create — the key shown once —, list with last use, revoke), and the WebDAV folder (Nextcloud) each finished
// recording of their rooms is copied to.
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.ts';
import type { ApiKey, NewUser, UserAccount, WebDavFolder } from '../api/types.ts';
import { useSession } from '../session.tsx';
import { Link } from '../router.tsx';
import { CopyOnce, Empty, ErrorNote, Loading, PageHeading, SelectField, TextField, formatDate } from '../components/ui.tsx';

/** A form's submit: busy while it runs, the API's error kept for the fields and the form. */
function useSubmit() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = (run: () => Promise<void>) => async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const field = (name: string) => (error instanceof ApiError ? error.details.find((d) => d.field === name)?.message : undefined);
  // A 400 naming fields is shown next to them; anything else above the button.
  const formError = error instanceof ApiError && error.details.length ? null : error;
  return { busy, submit, field, formError, error };
}

const EMPTY_USER: NewUser = { email: '', displayName: '', password: '', role: 'user' };

export function UsersPage() {
  const [users, setUsers] = useState<UserAccount[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [form, setForm] = useState<NewUser>(EMPTY_USER);
  const [created, setCreated] = useState<UserAccount | null>(null);
  const { busy, submit, field, formError, error } = useSubmit();

  useEffect(() => {
    api.listUsers().then((page) => setUsers(page.items), setLoadError);
  }, []);

  const create = submit(async () => {
    setCreated(null);
    const user = await api.createUser({ ...form, displayName: form.displayName?.trim() || undefined });
    setUsers((list) => [...(list ?? []), user]);
    setCreated(user);
    setForm(EMPTY_USER);
  });
  const taken = error instanceof ApiError && error.code === 'email_taken' ? error.message : undefined;
  const set = (key: keyof NewUser) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });

  return (
    <>
      <PageHeading title="Users" />
      <section className="card" aria-labelledby="new-user-title">
        <h2 id="new-user-title">New account</h2>
        <form onSubmit={create} noValidate>
          <div className="form-grid">
            <TextField label="Email" type="email" autoComplete="off" value={form.email} onChange={set('email')} error={field('email') ?? taken} />
            <TextField label="Name (optional)" value={form.displayName} onChange={set('displayName')} error={field('displayName')} />
            <TextField label="Password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} error={field('password')}
              hint="Give it to the person; they can change it after signing in." />
            <SelectField label="Role" value={form.role} onChange={set('role')} error={field('role')} options={[['user', 'User'], ['admin', 'Administrator']]} />
          </div>
          <ErrorNote error={taken ? null : formError} title="Could not create the account" />
          <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Creating…' : 'Create account'}</button>
          {created && <p role="status" className="hint">Created the account {created.email}.</p>}
        </form>
      </section>
      <ErrorNote error={loadError} title="Could not load the users" />
      {!users && !loadError && <Loading what="users" />}
      {users && (
        <div className="table-scroll">
          <table className="data users">
            <caption className="visually-hidden">Every account</caption>
            <thead>
              <tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Last sign-in</th></tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td data-label="Name">{u.displayName || '—'}</td>
                  <td data-label="Role">{u.role === 'admin' ? 'Administrator' : 'User'}</td>
                  <td data-label="Created">{formatDate(u.createdAt)}</td>
                  <td data-label="Last sign-in">{u.lastLoginAt ? formatDate(u.lastLoginAt) : 'never'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Your account: who you are here, and a new password (the API signs out your other sessions). */
export function AccountPage() {
  const { user } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [changed, setChanged] = useState(false);
  const [mismatch, setMismatch] = useState(false);
  const { busy, submit, field, formError, error } = useSubmit();
  if (!user) return <Empty>This server has no accounts: nothing to change here.</Empty>;

  const change = submit(async () => {
    setChanged(false);
    setMismatch(next !== repeat);
    if (next !== repeat) return;
    await api.changePassword(current, next);
    setChanged(true);
    setCurrent('');
    setNext('');
    setRepeat('');
  });
  const wrong = error instanceof ApiError && error.code === 'wrong_password' ? error.message : undefined;
  return (
    <>
      <PageHeading title="Your account" />
      <section className="card" aria-labelledby="you-title">
        <h2 id="you-title">You</h2>
        <dl className="facts">
          <dt>Email</dt><dd>{user.email}</dd>
          <dt>Name</dt><dd>{user.displayName || '—'}</dd>
          <dt>Role</dt><dd>{user.role === 'admin' ? 'Administrator' : 'User'}</dd>
        </dl>
        <p><Link href="/account/api-keys">Your API keys</Link></p>
      </section>
      <section className="card" aria-labelledby="password-title">
        <h2 id="password-title">Change your password</h2>
        {user.hasPassword ? (
          <form onSubmit={change} noValidate>
            <div className="form-grid">
              <TextField label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} error={field('currentPassword') ?? wrong} />
              <TextField label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} error={field('newPassword')} />
              <TextField label="New password again" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} error={mismatch ? 'does not match the new password' : undefined} />
            </div>
            <ErrorNote error={wrong ? null : formError} title="Could not change the password" />
            <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Changing…' : 'Change password'}</button>
            {changed && <p role="status" className="hint">Your password is changed. Your other sessions are signed out; this one stays.</p>}
          </form>
        ) : (
          <p className="muted">You sign in through your organisation's identity provider; your password is kept there.</p>
        )}
      </section>
      <WebDavSection />
    </>
  );
}

/** Your own storage (Nextcloud or any WebDAV server): the server checks the folder and credentials before it keeps them. */
function WebDavSection() {
  const [folder, setFolder] = useState<WebDavFolder | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [url, setUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [saved, setSaved] = useState<'kept' | 'removed' | null>(null);
  const { busy, submit, field, formError } = useSubmit();
  const removal = useSubmit();

  useEffect(() => {
    api.getWebDav().then((found) => {
      setFolder(found);
      setUrl(found?.url ?? '');
      setUsername(found?.username ?? '');
    }, setLoadError);
  }, []);

  const save = submit(async () => {
    setSaved(null);
    const kept = await api.setWebDav({ url: url.trim(), username, password });
    setFolder(kept);
    setPassword('');
    setSaved('kept');
  });
  const remove = removal.submit(async () => {
    setSaved(null);
    await api.removeWebDav();
    setFolder(null);
    setUrl('');
    setUsername('');
    setPassword('');
    setSaved('removed');
  });

  return (
    <section className="card" aria-labelledby="webdav-title">
      <h2 id="webdav-title">Copies to your own storage</h2>
      <p className="muted">
        Each finished recording of your rooms is copied to this WebDAV folder (Nextcloud: <code>https://&lt;server&gt;/remote.php/dav/files/&lt;user&gt;/&lt;folder&gt;</code>),
        with its transcript as VTT and text, in a folder per room and meeting. Use an app password.
      </p>
      <ErrorNote error={loadError} title="Could not load your folder" />
      {folder === undefined && !loadError && <Loading what="your folder" />}
      {folder !== undefined && (
        <>
          <p role="status">
            {folder ? <>Copies go to <code className="wrap-anywhere">{folder.url}</code> as {folder.username} (set {formatDate(folder.updatedAt)}).</> : 'No folder is set: recordings are not copied.'}
          </p>
          <form onSubmit={save} noValidate>
            <div className="form-grid">
              <TextField label="Folder URL" type="url" inputMode="url" autoComplete="url" value={url} onChange={(e) => setUrl(e.target.value)} error={field('url')} />
              <TextField label="User name" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} error={field('username')} />
              <TextField label={folder ? 'Password (again, to change the folder)' : 'Password'} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={field('password')} hint="Kept encrypted; never shown again." />
            </div>
            <ErrorNote error={formError} title="The folder was not kept" />
            <div className="row-actions">
              <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Checking the folder…' : folder ? 'Change the folder' : 'Keep this folder'}</button>
              {folder && <button type="button" className="button-danger" disabled={removal.busy} onClick={(e) => void remove(e)}>Stop copying</button>}
            </div>
            <ErrorNote error={removal.error} title="Could not remove the folder" />
            {saved && <p role="status" className="hint">{saved === 'kept' ? 'The folder answered and is kept: finished recordings are copied there from now on.' : 'Removed: no more copies. Those made stay in your folder.'}</p>}
          </form>
        </>
      )}
    </section>
  );
}

export function ApiKeysPage() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [made, setMade] = useState<{ key: string; name: string } | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);
  const { busy, submit, field, formError } = useSubmit();

  useEffect(() => {
    api.listApiKeys().then(setKeys, setLoadError);
  }, []);

  const create = submit(async () => {
    setMade(null);
    const answer = await api.createApiKey({ name, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) });
    setKeys((list) => [answer.apiKey, ...(list ?? [])]);
    setMade({ key: answer.key, name: answer.apiKey.name });
    setName('');
    setExpires('');
  });
  const revoke = async (key: ApiKey) => {
    setRevokeError(null);
    try {
      const revoked = await api.revokeApiKey(key.id);
      setKeys((list) => list?.map((k) => (k.id === revoked.id ? revoked : k)) ?? null);
    } catch (e) {
      setRevokeError(e);
    }
  };

  return (
    <>
      <PageHeading title="API keys" />
      <p className="muted">A key acts as you for programs that call the API (send it as <code>X-API-Key</code>, or as <code>Authorization: Bearer</code>). Revoke it when it is no longer needed.</p>
      <section className="card" aria-labelledby="new-key-title">
        <h2 id="new-key-title">New key</h2>
        <form onSubmit={create} noValidate>
          <div className="form-grid">
            <TextField label="Key name" value={name} onChange={(e) => setName(e.target.value)} error={field('name')} hint="What uses it, e.g. “nightly export”." />
            <TextField label="Expires (optional)" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} error={field('expiresAt')} hint="Empty: until revoked." />
          </div>
          <ErrorNote error={formError} title="Could not create the key" />
          <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Creating…' : 'Create key'}</button>
        </form>
        {made && <CopyOnce intro={`The key “${made.name}”: copy it now, it is shown only once.`} value={made.key} what="key" />}
      </section>
      <ErrorNote error={loadError} title="Could not load your keys" />
      <ErrorNote error={revokeError} title="Could not revoke the key" />
      {!keys && !loadError && <Loading what="your keys" />}
      {keys?.length === 0 && <Empty>No API keys yet.</Empty>}
      {keys && keys.length > 0 && (
        <div className="table-scroll">
          <table className="data api-keys">
            <caption className="visually-hidden">Your API keys</caption>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">State</th></tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} aria-label={k.name}>
                  <td>{k.name}</td>
                  <td data-label="Starts with"><code>{k.prefix}…</code></td>
                  <td data-label="Created">{formatDate(k.createdAt)}</td>
                  <td data-label="Last used">{k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never'}</td>
                  <td data-label="Expires">{k.expiresAt ? formatDate(k.expiresAt) : 'never'}</td>
                  <td data-label="State">
                    {k.revokedAt ? <span className="badge badge-deleted">Revoked {formatDate(k.revokedAt)}</span> : (
                      <button type="button" className="button-small button-danger" onClick={() => void revoke(k)} aria-label={`Revoke the key ${k.name}`}>Revoke</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
