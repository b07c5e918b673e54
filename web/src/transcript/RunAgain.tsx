// Running a recording's pipeline again, for the transcript's owner: with a speech engine this deployment runs (its
// default, or another it offers, GET /v1/speech), in a language chosen from the ones it hears (the transcript's own
// to begin with). The transcript shown now is kept as a version, so the rerun can be undone by restoring it.
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { SpeechOptions, Transcript } from '../api/types.ts';
import { ErrorNote } from '../components/ui.tsx';

const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });
const languageName = (code: string) => {
  try {
    return languageNames.of(code) ?? code;
  } catch {
    return code;
  }
};

export function RunAgain({ transcript, onStarted }: { transcript: Transcript; onStarted: () => void }) {
  const [options, setOptions] = useState<SpeechOptions | null>(null);
  const [language, setLanguage] = useState(transcript.language);
  const [engine, setEngine] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void api.speechOptions().then(setOptions, setError), []);
  const chosen = engine ?? options?.engine ?? '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.reprocessRecording(transcript.recordingId, language, chosen);
      onStarted();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="run-again-title">
      <h2 id="run-again-title">Run again</h2>
      {options && (
        <form onSubmit={(e) => void submit(e)}>
          <p className="hint">
            {options.engines.length > 1
              ? <>Transcribes the recording again with the speech engine you choose (<strong>{options.engine}</strong> unless you choose another).</>
              : <>Transcribes the recording again with <strong>{options.engine}</strong>, the speech recognition this server runs.</>}
            {' '}The transcript shown now is kept as a version: you can switch back to it.
          </p>
          {options.engines.length > 1 && (
            <label>
              Speech engine
              <select value={chosen} onChange={(e) => setEngine(e.target.value)}>
                {options.engines.map((label) => (
                  <option key={label} value={label}>{label}{label === options.engine ? ' (default)' : ''}</option>
                ))}
              </select>
            </label>
          )}
          <label>
            Language
            <select value={language} onChange={(e) => setLanguage(e.target.value)}>
              {(options.languages.includes(language) ? options.languages : [language, ...options.languages]).map((code) => (
                <option key={code} value={code}>{languageName(code)} ({code})</option>
              ))}
            </select>
          </label>
          <div className="actions">
            <button type="submit" disabled={busy}>{busy ? 'Starting…' : 'Run again'}</button>
          </div>
        </form>
      )}
      <ErrorNote error={error} title="Could not run it again" />
    </section>
  );
}
