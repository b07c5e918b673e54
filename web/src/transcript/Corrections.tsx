// The owner's corrections on the transcript page: rename a speaker, correct a turn inline (its text, or who said
// it), the history of edits with a revert for each. Every correction names the revision the page shows; when
// someone else corrected the transcript meanwhile the API refuses it (409) and the page says so, with a reload.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.ts';
import type { Corrected, Segment, Transcript, TranscriptEdit } from '../api/types.ts';
import { ErrorNote, TextField, formatDate, formatDuration } from '../components/ui.tsx';
import { useSession } from '../session.tsx';

export interface CorrectionState {
  /** Runs a correction based on `revision` (default: the page's); its answer once made (the page then shows it), else null. */
  run(correct: (revision: number) => Promise<Corrected>, revision?: number): Promise<Corrected | null>;
  busy: boolean;
  /** The last correction refused because someone else changed the transcript first. */
  conflict: { revision: number; turn: Segment | null } | null;
  error: unknown;
  /** Advances with every correction made here (the history reloads). */
  made: number;
  /** Forgets the last problem (after a reload). */
  clear(): void;
}

/** Corrections of the transcript the page shows (at `shownRevision`), applied to the page through `onCorrected`. */
export function useCorrections(shownRevision: number, onCorrected: (answer: Corrected) => void): CorrectionState {
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<CorrectionState['conflict']>(null);
  const [error, setError] = useState<unknown>(null);
  const [made, setMade] = useState(0);
  const run = useCallback(async (correct: (revision: number) => Promise<Corrected>, revision = shownRevision) => {
    setBusy(true);
    setError(null);
    setConflict(null);
    try {
      const answer = await correct(revision);
      onCorrected(answer);
      setMade((n) => n + 1);
      return answer;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'revision_conflict') setConflict((e.facts as CorrectionState['conflict']) ?? { revision: -1, turn: null });
      else setError(e);
      return null;
    } finally {
      setBusy(false);
    }
  }, [shownRevision, onCorrected]);
  const clear = useCallback(() => {
    setConflict(null);
    setError(null);
  }, []);
  return { run, busy, conflict, error, made, clear };
}

/** "Changed by someone else": what the turn says now, and a reload that shows the transcript as it is. */
export function CorrectionProblems({ state, onReload }: { state: CorrectionState; onReload: () => void }) {
  if (state.conflict) {
    return (
      <div className="conflict" role="alert">
        <p><strong>Changed by someone else.</strong> The transcript was corrected meanwhile, so your change was not saved.
          {state.conflict.turn && <> This turn now reads: “{state.conflict.turn.text}” ({state.conflict.turn.speakerName}).</>}</p>
        <button type="button" className="button-primary" onClick={onReload}>Reload the transcript</button>
      </div>
    );
  }
  return state.error ? <ErrorNote error={state.error} title="The correction was not saved" /> : null;
}

/** One turn being corrected inline: its text and its speaker; Save makes the correction(s), Cancel leaves it. */
export function TurnEditor({ transcript, index, state, onDone }: { transcript: Transcript; index: number; state: CorrectionState; onDone: () => void }) {
  const turn = transcript.segments[index]!;
  const [text, setText] = useState(turn.text);
  const [speaker, setSpeaker] = useState(turn.speaker);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    // Text and speaker are two corrections: the second is based on the revision the first made.
    let revision: number | null = transcript.revision;
    if (text.trim() !== turn.text) revision = (await state.run((r) => api.correctTurn(transcript.id, index, r, { text }), revision))?.revision ?? null;
    if (revision !== null && speaker !== turn.speaker) revision = (await state.run((r) => api.correctTurn(transcript.id, index, r, { speaker }), revision))?.revision ?? null;
    if (revision !== null) onDone();
  };
  const label = `turn at ${formatDuration(turn.start)}`;
  return (
    <form className="turn-editor" onSubmit={save} aria-label={`Correct the ${label}`}>
      <div className="field">
        <label htmlFor={`turn-text-${index}`}>Text of the {label}</label>
        <textarea id={`turn-text-${index}`} value={text} onChange={(e) => setText(e.target.value)} rows={3} required maxLength={10_000} />
      </div>
      <div className="field">
        <label htmlFor={`turn-speaker-${index}`}>Speaker</label>
        <select id={`turn-speaker-${index}`} value={speaker} onChange={(e) => setSpeaker(Number(e.target.value))}>
          {transcript.participants.map((p) => <option key={p.speaker} value={p.speaker}>{p.name || `Speaker ${p.speaker + 1}`}</option>)}
        </select>
      </div>
      <div className="actions">
        <button type="submit" className="button-primary" disabled={state.busy}>Save</button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
    </form>
  );
}

/** The speakers, each with a rename form. */
export function Speakers({ transcript, state }: { transcript: Transcript; state: CorrectionState }) {
  return (
    <section className="card" aria-labelledby="speakers-title">
      <h2 id="speakers-title">Speakers</h2>
      <ul className="plain-list">
        {transcript.participants.map((p) => <SpeakerRename key={`${p.speaker}:${p.name}`} transcript={transcript} speaker={p.speaker} name={p.name} state={state} />)}
      </ul>
    </section>
  );
}

function SpeakerRename({ transcript, speaker, name, state }: { transcript: Transcript; speaker: number; name: string; state: CorrectionState }) {
  const shown = name || `Speaker ${speaker + 1}`;
  const [value, setValue] = useState(shown);
  const rename = (event: FormEvent) => {
    event.preventDefault();
    void state.run((revision) => api.renameSpeaker(transcript.id, speaker, revision, value));
  };
  return (
    <li>
      <form className="speaker-rename" onSubmit={rename}>
        <TextField label={`Name of ${shown}`} value={value} onChange={(e) => setValue(e.target.value)} required maxLength={256} />
        <button type="submit" disabled={state.busy || value.trim() === shown}>Rename</button>
      </form>
    </li>
  );
}

/** Every correction, newest first, each with a revert. */
export function EditHistory({ transcript, state }: { transcript: Transcript; state: CorrectionState }) {
  const [edits, setEdits] = useState<TranscriptEdit[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { user } = useSession();
  useEffect(() => void api.listEdits(transcript.id).then((page) => setEdits(page.items), setError), [transcript.id, transcript.revision, state.made]);
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">Edit history</h2>
      {error ? <ErrorNote error={error} title="Could not load the edit history" /> : null}
      {edits && edits.length === 0 && <p className="muted">No corrections yet.</p>}
      {edits && edits.length > 0 && (
        <ol className="plain-list edit-history">
          {edits.map((edit) => (
            <li key={edit.id}>
              <span className="wrap-anywhere">{edit.summary}</span>
              <span className="hint"> · {edit.userId && edit.userId === user?.id ? 'you' : 'another user'}, {formatDate(edit.at)} · revision {edit.revision}</span>{' '}
              {edit.revertible && (
                <button type="button" className="button-link" disabled={state.busy} onClick={() => void state.run((revision) => api.revertEdit(transcript.id, edit.id, revision))}>
                  Revert<span className="visually-hidden"> “{edit.summary}”</span>
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
