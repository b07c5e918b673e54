// After the call: the meeting workflow's recordings, and for each raw-tracks recording its transcript as
// soon as it exists (processing, then done), linked. A meeting with no per-speaker recording at all (a
// composite-only platform: 100ms without track recording) has its composite transcribed instead.
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { MeetingState, TranscriptSummary } from '../api/types.ts';
import { Link } from '../router.tsx';

const PHASES: Record<MeetingState['phase'], string> = {
  open: 'The meeting is still open (others may be in it).',
  'awaiting-recordings': 'The meeting has ended; waiting for the recordings…',
  reconciling: 'The meeting has ended; collecting the recordings…',
  ended: 'The meeting has ended.',
};

/** The recordings that become transcripts: the per-speaker ones, or where there are none, the composite. */
function transcribed(recordings: MeetingState['recordings']): MeetingState['recordings'] {
  const perSpeaker = recordings.filter((r) => r.kind === 'raw-tracks');
  return perSpeaker.length > 0 ? perSpeaker : recordings.filter((r) => r.kind === 'cloud');
}

export function AfterMeeting({ meetingId }: { meetingId: string }) {
  const [state, setState] = useState<MeetingState | null>(null);
  const [transcripts, setTranscripts] = useState<Record<string, TranscriptSummary>>({});

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    let done = false;
    const poll = async () => {
      try {
        const next = await api.meetingState(meetingId);
        setState(next);
        const found: Record<string, TranscriptSummary> = {};
        const ready = transcribed(next.recordings).filter((r) => r.status === 'ready');
        for (const r of ready) {
          const page = await api.listTranscripts({ recordingId: r.id, limit: 1 });
          if (page.items[0]) found[r.id] = page.items[0];
        }
        setTranscripts(found);
        done = next.phase === 'ended' && Object.keys(found).length >= ready.length;
      } catch {
        // keep polling: the workflow may be between runs
      }
      if (!done) timer = setTimeout(poll, 1500);
    };
    void poll();
    return () => clearTimeout(timer);
  }, [meetingId]);

  const raw = state ? transcribed(state.recordings) : [];
  return (
    <section className="card" aria-labelledby="after-title" aria-live="polite">
      <h2 id="after-title">You left the call</h2>
      <p>{state ? PHASES[state.phase] : 'Checking the meeting…'}</p>
      {state?.phase === 'ended' && state.recordings.length === 0 && <p>Nothing was recorded.</p>}
      {raw.length > 0 && (
        <ul className="plain-list">
          {raw.map((r) => {
            const t = transcripts[r.id];
            return (
              <li key={r.id}>
                {r.status === 'pending' && 'A recording was requested; the platform has not confirmed it…'}
                {r.status === 'recording' && 'A recording is being finished…'}
                {r.status === 'missing' && `A recording never came from the platform${r.error ? `: ${r.error}` : ''}.`}
                {r.status === 'error' && `A recording failed${r.error ? `: ${r.error}` : ''}.`}
                {r.status === 'ready' && !t && 'Recording ready; the transcript is starting…'}
                {t && (
                  <Link href={`/transcripts/${t.id}`} className="button button-primary">
                    {t.status === 'ended' ? 'Open the transcript' : t.status === 'error' ? 'Transcript failed: see why' : 'Follow the transcript as it is made'}
                  </Link>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
