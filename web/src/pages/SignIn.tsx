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

  const providerError = new URLSearchParams(location.search).get('error');
  const fieldError = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);
  return (
    <div className="narrow">
      <PageHeading title="Sign in" />
      {providerError && <div className="note note-error" role="alert"><strong>Could not sign in.</strong> {PROVIDER_ERRORS[providerError] ?? 'Signing in through the identity provider failed; try again.'}</div>}
      {(config?.localAccounts ?? true) && (
        <form onSubmit={submit} className="card" noValidate>
          <ErrorNote error={error instanceof ApiError && error.details.length ? null : error} title="Could not sign in" />
          <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError('email')} />
          <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={fieldError('password')} />
          <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        </form>
      )}
      {config?.oidc?.signInUrl && (
        <p className="card">
          {/* A full page load: the API sends the browser on to the provider and back, then here signed in. */}
          <a className="button" href={`${config.oidc.signInUrl}?next=${encodeURIComponent(next)}`}>Sign in with {new URL(config.oidc.issuer).host}</a>
        </p>
      )}
    </div>
  );
}

/** What the API's OIDC callback reports in `/signin?error=…`. */
const PROVIDER_ERRORS: Record<string, string> = {
  oidc_email_missing: 'The identity provider did not share your email address, which an account needs.',
  oidc_email_conflict: 'Another account already uses your email address; ask an administrator.',
  oidc_flow_expired: 'The sign-in took too long; try again.',
  oidc_flow_missing: 'The sign-in was interrupted (cookies blocked?); try again.',
  oidc_flow_mismatch: 'The identity provider answered a different sign-in; try again.',
  oidc_provider_error: 'The identity provider refused the sign-in.',
  oidc_token_rejected: "The identity provider's answer could not be verified.",
};
