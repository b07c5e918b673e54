// A transcript's versions: every rerun of its recording keeps the content it replaced. Shown when there is more than
// the current one: each with what made it and when; an earlier one's turns on request, and what changed in the
// words from the version before (removed and added words marked). The owner shows an earlier one again (a restore:
// the one shown until then is kept too, so every switch can be switched back).
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { TranscriptVersion, TranscriptVersionChanges, TranscriptVersionContent } from '../api/types.ts';
import { ErrorNote, formatDate, formatDuration } from '../components/ui.tsx';

export function Versions({ transcriptId, share, revision, owner, onRestored }: { transcriptId: string; share?: string; revision: number; owner: boolean; onRestored: () => void }) {
  const [versions, setVersions] = useState<TranscriptVersion[] | null>(null);
  const [open, setOpen] = useState<{ number: number; content: TranscriptVersionContent } | null>(null);
  const [changes, setChanges] = useState<TranscriptVersionChanges | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  // Again when the transcript moves on (a correction, a rerun).
  useEffect(() => void api.listTranscriptVersions(transcriptId, share).then(setVersions, setError), [transcriptId, share, revision]);
  if (!versions || versions.length < 2) return error ? <ErrorNote error={error} title="Versions could not be loaded" /> : null;

  const show = async (run: () => Promise<void>) => {
    setError(null);
    try {
      await run();
    } catch (e) {
      setError(e);
    }
  };
  const read = (number: number) => show(async () => setOpen(open?.number === number ? null : { number, content: await api.getTranscriptVersion(transcriptId, number, share) }));
  const compare = (number: number) => show(async () => setChanges(changes?.to === number ? null : await api.transcriptVersionChanges(transcriptId, number, share)));
  const restore = (number: number) => show(async () => {
    setBusy(true);
    try {
      await api.restoreTranscriptVersion(transcriptId, number, revision);
      setOpen(null);
      setChanges(null);
      onRestored();
    } finally {
      setBusy(false);
    }
  });

  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <p className="hint">Each rerun of the recording kept the transcript it replaced. The current one is shown above, exported and searched{owner ? '; showing an earlier one again keeps the current one too' : ''}.</p>
      <ol className="plain-list versions">
        {[...versions].reverse().map((v) => (
          <li key={v.number} aria-label={`Version ${v.number}${v.current ? ' (current)' : ''}`}>
            <strong>Version {v.number}{v.current ? ' (current)' : ''}</strong>
            <span className="hint"> · made {formatDate(v.madeAt)} · {v.speechEngine ?? 'unknown engine'} · {v.language}{v.restoredFrom ? ` · restored from version ${v.restoredFrom}` : ''}{v.title ? ` · “${v.title}”` : ''}</span>
            <div className="actions">
              {!v.current && <button type="button" aria-expanded={open?.number === v.number} onClick={() => void read(v.number)}>{open?.number === v.number ? 'Hide its turns' : 'Read it'}</button>}
              {owner && !v.current && <button type="button" disabled={busy} onClick={() => void restore(v.number)}>Show this version</button>}
              {v.number > 1 && <button type="button" aria-expanded={changes?.to === v.number} onClick={() => void compare(v.number)}>{changes?.to === v.number ? 'Hide changes' : `What changed since version ${v.number - 1}`}</button>}
            </div>
            {open?.number === v.number && (
              <ol className="plain-list version-turns" aria-label={`Turns of version ${v.number}`}>
                {open.content.segments.map((s, i) => <li key={i}><span className="hint">[{formatDuration(s.start)}]</span> <strong>{s.speakerName}:</strong> {s.text}</li>)}
              </ol>
            )}
            {changes?.to === v.number && (
              <div className="version-changes" aria-label={`Changes from version ${changes.from} to ${changes.to}`}>
                <p className="hint">{changes.wordsRemoved} word(s) removed, {changes.wordsAdded} added.</p>
                <p>
                  {changes.parts.map((p, i) => (p.change === 'removed' ? <del key={i}>{p.text}</del> : p.change === 'added' ? <ins key={i}>{p.text}</ins> : <span key={i}>{p.text}</span>))}
                </p>
              </div>
            )}
          </li>
        ))}
      </ol>
      <ErrorNote error={error} title="Versions could not be loaded" />
    </section>
  );
}
