// Who may open this meeting's recording and transcript: only you (private), people you name (shared), or
// anyone with a link (public, until it expires); and the transcript's own rule (inherit, private, public).
// The owner's controls; the API decides. A public link is shown as this app's transcript page
// (`/transcripts/<id>?share=<token>`), which opens without an account.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, shareToken } from '../api/client.ts';
import type { ShareMode, Sharing as SharingView, TranscriptShareMode, TranscriptSharing as TranscriptSharingView } from '../api/types.ts';
import { CopyOnce, ErrorNote, TextField, formatDate } from '../components/ui.tsx';

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
  return <CopyOnce intro="Copy the link now; it is shown only once:" value={url} href={url} what="link" />;
}

/**
 * A sharing rule being edited: the rule in force (loaded, then as saved), the public link a save made (this
 * app's page for it; shown once), and the save's error. `load` and `store` also fill the form.
 */
function useSharingRule<View extends { mode: string; publicLink: { url: string | null } | null }>(transcriptId: string, key: string, load: () => Promise<View>) {
  const [current, setCurrent] = useState<View | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => void loader.current().then(setCurrent, setError), [key]);
  const submit = (store: () => Promise<View>) => async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await store();
      setCurrent(saved);
      setLink(saved.publicLink?.url ? publicPageUrl(transcriptId, saved.publicLink.url) : null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { current, link, error, busy, submit };
}

const expiresAt = (local: string) => (local ? { publicLinkExpiresAt: new Date(local).toISOString() } : {});

export function Sharing({ recordingId, transcriptId }: { recordingId: string; transcriptId: string }) {
  const [mode, setMode] = useState<ShareMode>('private');
  const [emails, setEmails] = useState('');
  const [expires, setExpires] = useState('');
  const { current, link, error, busy, submit } = useSharingRule<SharingView>(transcriptId, recordingId, () => api.sharing(recordingId).then((s) => {
    setMode(s.mode);
    setEmails(s.users.map((u) => u.email).join(', '));
    return s;
  }));
  const save = submit(() => api.share(recordingId, {
    mode,
    ...(mode === 'shared' ? { userEmails: emails.split(/[\s,;]+/).filter(Boolean) } : {}),
    ...(mode === 'public' ? expiresAt(expires) : {}),
  }));

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

const TRANSCRIPT_MODES: Array<[TranscriptShareMode, string, string]> = [
  ['inherit', 'Like the recording', 'whoever may open the recording'],
  ['private', 'Only you', 'hidden from the recording’s other viewers (administrators still see it)'],
  ['public', 'Its own public link', 'anyone with the link, until it expires, even if the recording is private'],
];

/** The transcript's own rule, which wins over its recording's unless it is `inherit`. */
export function TranscriptSharing({ transcriptId }: { transcriptId: string }) {
  const [mode, setMode] = useState<TranscriptShareMode>('inherit');
  const [expires, setExpires] = useState('');
  const { current, link, error, busy, submit } = useSharingRule<TranscriptSharingView>(transcriptId, transcriptId, () => api.transcriptSharing(transcriptId).then((s) => {
    setMode(s.mode);
    return s;
  }));
  const save = submit(() => api.shareTranscript(transcriptId, { mode, ...(mode === 'public' ? expiresAt(expires) : {}) }));

  const expiresError = error instanceof ApiError ? error.field('publicLinkExpiresAt') : undefined;
  const modeText = current && TRANSCRIPT_MODES.find(([value]) => value === current.mode)?.[1].toLowerCase();
  return (
    <section className="card" aria-labelledby="transcript-sharing-title">
      <h2 id="transcript-sharing-title">Transcript’s own rule</h2>
      <form onSubmit={save}>
        <fieldset>
          <legend>Who may open the transcript</legend>
          {TRANSCRIPT_MODES.map(([value, label, hint]) => (
            <div key={value} className="field field-check">
              <input type="radio" id={`transcript-share-${value}`} name="transcript-share-mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
              <label htmlFor={`transcript-share-${value}`}>{label}: <span className="muted">{hint}</span></label>
            </div>
          ))}
        </fieldset>
        {mode === 'public' && (
          <TextField label="Transcript link expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} error={expiresError} hint="Empty: the server's default." />
        )}
        <ErrorNote error={expiresError ? null : error} title="Could not change the transcript's rule" />
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save the transcript’s rule'}</button>
        {current && (
          <p role="status" className="hint">
            Now: {modeText}
            {current.publicLink?.expiresAt && `; the link works until ${formatDate(current.publicLink.expiresAt)}`}.
          </p>
        )}
        {link && <CopyLink url={link} />}
      </form>
    </section>
  );
}
