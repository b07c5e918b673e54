// A meeting's page: its transcripts as one timeline. A recording stopped and started again makes another part,
// each still its own transcript; the page lays them out in the order they were recorded, says how long was not
// recorded between them, and lists every turn at its time of day, each linking to its moment in its transcript.
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { MeetingTimeline, Transcript } from '../api/types.ts';
import { Link } from '../router.tsx';
import { Empty, ErrorNote, Loading, PageHeading, formatDate, formatDuration } from '../components/ui.tsx';

const TRANSCRIPT_LABELS: Record<string, string> = { idle: 'waiting', processing: 'being made', ended: 'ready', error: 'failed' };
const clock = (iso: string, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function MeetingPage({ id }: { id: string }) {
  const [timeline, setTimeline] = useState<MeetingTimeline | null>(null);
  const [transcripts, setTranscripts] = useState<Record<string, Transcript | Error>>({});
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    api.meetingTimeline(id).then(async (answer) => {
      if (!live) return;
      setTimeline(answer);
      // Each part's turns come from its own transcript, read as its page reads it.
      for (const part of answer.parts.filter((p) => p.status === 'ended')) {
        const read = await api.getTranscript(part.transcriptId).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        if (live) setTranscripts((all) => ({ ...all, [part.transcriptId]: read }));
      }
    }, (e: unknown) => live && setError(e));
    return () => void (live = false);
  }, [id]);

  if (error) return <><PageHeading title="Meeting" /><ErrorNote error={error} title="Could not load the meeting" /></>;
  if (!timeline) return <><PageHeading title="Meeting" /><Loading what="the meeting" /></>;
  const total = timeline.parts.reduce((end, p) => Math.max(end, p.startSeconds + (p.durationSeconds ?? 0)), 0);
  return (
    <>
      <PageHeading title={`Meeting in ${timeline.roomName}`} />
      <p className="muted">
        Started {formatDate(timeline.startDate)}{timeline.endedAt ? `, ended ${formatDate(timeline.endedAt)}` : ' (still open)'}
        {timeline.participants.length ? ` · ${timeline.participants.join(', ')}` : ''} · <Link href={`/${timeline.roomName}`}>the room</Link>
      </p>
      {timeline.parts.length === 0 ? (
        <Empty>No transcript of this meeting{timeline.active ? ' yet' : ''}.</Empty>
      ) : (
        <>
          <section className="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <p className="hint">{timeline.parts.length === 1 ? 'One recording.' : `${timeline.parts.length} recordings: the recording was stopped and started again.`} Each part is its own transcript.</p>
            <ol className="timeline-bar" aria-label="Recorded parts in time">
              {timeline.parts.map((part, i) => (
                <li key={part.transcriptId} className="timeline-slot" style={{ flexGrow: Math.max(1, part.durationSeconds ?? 1) + (part.gapBeforeSeconds ?? 0) }}>
                  {(part.gapBeforeSeconds ?? 0) > 0 && (
                    <span className="timeline-gap" style={{ flexGrow: part.gapBeforeSeconds! }}>not recorded for {formatDuration(part.gapBeforeSeconds)}</span>
                  )}
                  <a className="timeline-part" href={`#part-${i + 1}`} style={{ flexGrow: Math.max(1, part.durationSeconds ?? 1) }}>
                    Part {i + 1}: {clock(part.recordedAt)}, {formatDuration(part.durationSeconds)}
                  </a>
                </li>
              ))}
            </ol>
            <p className="hint">{formatDuration(total)} from the first recording's start to the last one's end.</p>
          </section>
          {timeline.parts.map((part, i) => {
            const t = transcripts[part.transcriptId];
            return (
              <section key={part.transcriptId} id={`part-${i + 1}`} className="timeline-section" aria-labelledby={`part-${i + 1}-title`}>
                {(part.gapBeforeSeconds ?? 0) > 0 && <p className="timeline-pause">Not recorded for {formatDuration(part.gapBeforeSeconds)}.</p>}
                <h2 id={`part-${i + 1}-title`}>
                  Part {i + 1}: {clock(part.recordedAt)}–{clock(part.recordedAt, part.durationSeconds ?? 0)}
                </h2>
                <p>
                  <Link href={`/transcripts/${part.transcriptId}`}>{part.title ?? 'Transcript'}</Link>
                  {part.status !== 'ended' && <span className="muted"> ({TRANSCRIPT_LABELS[part.status] ?? part.status})</span>}
                </p>
                {part.status === 'ended' && !t && <Loading what={`part ${i + 1}'s transcript`} />}
                {t instanceof Error && <ErrorNote error={t} title={`Could not load part ${i + 1}'s transcript`} />}
                {t && !(t instanceof Error) && (t.segments.length === 0 ? <Empty>No speech was recognised.</Empty> : (
                  <ol className="turns">
                    {t.segments.map((s, j) => (
                      <li key={j} className="turn">
                        <Link className="turn-button" href={`/transcripts/${part.transcriptId}?t=${Math.floor(s.start)}`}>
                          <span className="turn-time">{clock(part.recordedAt, s.start)}</span>
                          <span className={`turn-speaker speaker-${s.speaker % 6}`}>{s.speakerName}</span>
                          <span className="turn-text">{s.text}</span>
                        </Link>
                      </li>
                    ))}
                  </ol>
                ))}
              </section>
            );
          })}
        </>
      )}
    </>
  );
}
