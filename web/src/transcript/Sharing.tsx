// Who may open this meeting's recording and transcript: only you (private), people you name (shared), or
// anyone with a link (public, until it expires). The owner's control; the API decides. A public link is
// shown as this app's transcript page (`/transcripts/<id>?share=<token>`), which opens without an account.
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, shareToken } from '../api/client.ts';
import type { ShareMode, Sharing as SharingView } from '../api/types.ts';
import { ErrorNote, TextField, formatDate } from '../components/ui.tsx';

const MODES: Array<[ShareMode, string, string]> = [
  ['private', 'Private', 'only you (and administrators)'],
  ['shared', 'Shared', 'you and the people you name'],
  ['public', 'Public link', 'anyone with the link, until it expires'],
];

/** The transcript page's address for a public link the API made (its token works on the page's every call). */
export function publicPageUrl(transcriptId: string, apiLink: string): string {
  return `${location.origin}/transcripts/${encodeURIComponent(transcriptId)}?share=${encodeURIComponent(shareToken(apiLink) ?? '')}`;
}

/** The link to copy, shown once (the API keeps only its hash). */
export function CopyLink({ url }: { url: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard.writeText(url).then(() => setCopied(true), () => setCopied(false));
  };
  return (
    <div className="note copy-link">
      <p>Copy the link now; it is shown only once:</p>
      <p><a href={url} className="public-link">{url}</a></p>
      <button type="button" onClick={copy}>{copied ? 'Copied' : 'Copy the link'}</button>
    </div>
  );
}

export function Sharing({ recordingId, transcriptId }: { recordingId: string; transcriptId: string }) {
  const [current, setCurrent] = useState<SharingView | null>(null);
  const [mode, setMode] = useState<ShareMode>('private');
  const [emails, setEmails] = useState('');
  const [expires, setExpires] = useState('');
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.sharing(recordingId).then((s) => {
      setCurrent(s);
      setMode(s.mode);
      setEmails(s.users.map((u) => u.email).join(', '));
    }, setError);
  }, [recordingId]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await api.share(recordingId, {
        mode,
        ...(mode === 'shared' ? { userEmails: emails.split(/[\s,;]+/).filter(Boolean) } : {}),
        ...(mode === 'public' && expires ? { publicLinkExpiresAt: new Date(expires).toISOString() } : {}),
      });
      setCurrent(saved);
      setLink(saved.publicLink?.url ? publicPageUrl(transcriptId, saved.publicLink.url) : null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (name: string) => (error instanceof ApiError ? error.details.find((d) => d.field === name || d.field.startsWith(`${name}.`))?.message : undefined);
  return (
    <section className="card" aria-labelledby="sharing-title">
      <h2 id="sharing-title">Sharing</h2>
      <form onSubmit={save}>
        <fieldset>
          <legend>Who may open the recording and transcript</legend>
          {MODES.map(([value, label, hint]) => (
            <div key={value} className="field field-check">
              <input type="radio" id={`share-${value}`} name="share-mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
              <label htmlFor={`share-${value}`}>{label}: <span className="muted">{hint}</span></label>
            </div>
          ))}
        </fieldset>
        {mode === 'shared' && (
          <TextField label="People (their account emails)" value={emails} onChange={(e) => setEmails(e.target.value)} error={fieldError('userEmails')} placeholder="ada@example.com, grace@example.com" />
        )}
        {mode === 'public' && (
          <TextField label="Link expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} error={fieldError('publicLinkExpiresAt')} hint="Empty: the server's default." />
        )}
        <ErrorNote error={error instanceof ApiError && error.details.length ? null : error} title="Could not change the sharing" />
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save sharing'}</button>
        {current && (
          <p role="status" className="hint">
            Now {current.mode}
            {current.mode === 'shared' && current.users.length > 0 && ` with ${current.users.map((u) => u.displayName || u.email).join(', ')}`}
            {current.publicLink?.expiresAt && `; the link works until ${formatDate(current.publicLink.expiresAt)}`}.
          </p>
        )}
        {link && <CopyLink url={link} />}
      </form>
    </section>
  );
}
