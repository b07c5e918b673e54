// Sign in with a local account, or through the configured identity provider (OIDC redirect).
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.ts';
import type { AuthConfig } from '../api/types.ts';
import { navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorNote, PageHeading, TextField } from '../components/ui.tsx';

export function SignInPage({ next }: { next: string }) {
  const session = useSession();
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.authConfig().then(setConfig, () => setConfig({ localAccounts: true, oidc: null }));
  }, []);

  if (session.user || session.local) {
    return (
      <>
        <PageHeading title="Signed in" />
        <p>{session.local ? 'This server has no accounts: everyone uses it as its one local user.' : `You are signed in as ${session.user!.email}.`}</p>
      </>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      session.signedIn(await api.login(email, password));
      navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);
  return (
    <div className="narrow">
      <PageHeading title="Sign in" />
      {(config?.localAccounts ?? true) && (
        <form onSubmit={submit} className="card" noValidate>
          <ErrorNote error={error instanceof ApiError && error.details.length ? null : error} title="Could not sign in" />
          <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError('email')} />
          <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={fieldError('password')} />
          <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        </form>
      )}
      {config?.oidc && (
        <p className="card">
          <a className="button" href={config.oidc.authorizationUrl}>Sign in with {config.oidc.name ?? 'your organisation'}</a>
        </p>
      )}
    </div>
  );
}
