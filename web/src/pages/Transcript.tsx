// A transcript: live progress while it is made (server-sent events), then the audio with its waveform,
// the speaker turns (click to seek; the current one highlighted while playing), summary, topics, action
// items, the cloud recording, downloads and — for its owner — corrections (speaker names, a turn's text or
// speaker inline, the edit history with reverts; web/src/transcript/Corrections.tsx) and sharing. Opened through a
// public link (`?share=<token>`, no account needed) every call of the page carries the token.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, withShare } from '../api/client.ts';
import type { Corrected, Transcript, TranscriptDelivery, TranscriptEvent } from '../api/types.ts';
import { Empty, ErrorNote, Loading, PageHeading, ProgressBar, formatDuration } from '../components/ui.tsx';
import { NotFoundPage } from './NotFound.tsx';
import { Player, type PlayerHandle } from '../transcript/Player.tsx';
import { Sharing, TranscriptSharing } from '../transcript/Sharing.tsx';
import { CorrectionProblems, EditHistory, Speakers, TurnEditor, useCorrections } from '../transcript/Corrections.tsx';
import { ActionItems } from '../transcript/ActionItems.tsx';
import { Versions } from '../transcript/Versions.tsx';
import { RunAgain } from '../transcript/RunAgain.tsx';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

// The pipeline's steps (activities/transcription.ts), in words.
const STEPS: Record<string, string> = {
  storing: 'Storing the recording', tracks: 'Finding the speakers’ tracks', transcribing: 'Recognising speech', merging: 'Putting the turns together',
  mixdown: 'Mixing the audio', summarizing: 'Writing the summary', finishing: 'Finishing', copying: 'Copying to the WebDAV folder', done: 'Done',
};
const stepLabel = (step: string | undefined) => (step ? (STEPS[step] ?? step.replace(/[-_]/g, ' ')) : 'Waiting to start');

/** Follows a transcript being made: server-sent events, or polling where the server has none. */
function useTranscriptUpdates(id: string, share: string | undefined, active: boolean, onChange: (event: TranscriptEvent) => void) {
  const handler = useRef(onChange);
  handler.current = onChange;
  useEffect(() => {
    if (!active) return;
    let timer: ReturnType<typeof setInterval> | undefined;
    const source = new EventSource(api.transcriptEventsUrl(id, share));
    source.addEventListener('progress', (e) => handler.current(JSON.parse((e as MessageEvent<string>).data) as TranscriptEvent));
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED || timer) return;
      timer = setInterval(() => {
        api.getTranscript(id, share).then((t) => handler.current({ status: t.status, progress: t.progress, error: t.error }), () => undefined);
      }, 2000);
    };
    return () => {
      source.close();
      clearInterval(timer);
    };
  }, [id, share, active]);
}

/** `startAt`: the moment the page was linked to (`?t=<seconds>`, from a search hit): highlighted, scrolled to, played from. */
export function TranscriptPage({ id, share, startAt }: { id: string; share?: string; startAt?: number }) {
  const [transcript, setTranscript] = useState<Transcript | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [time, setTime] = useState(startAt ?? 0);
  const player = useRef<PlayerHandle>(null);
  const { config } = useSession();
  // Every platform here is simulated in the page, so this meeting's was too (a transcript does not name its platform).
  const calls = Object.values(config.calls);
  const simulatedOnly = calls.length > 0 && calls.every((call) => call?.simulatorControlPath);

  const load = useCallback(() => api.getTranscript(id, share).then(setTranscript, setError), [id, share]);
  useEffect(() => void load(), [load]);

  // A rerun asked for here: the revision shown when it started. Until the transcript has moved past it, an `ended`
  // is the old transcript's (the pipeline has not taken it up yet), and the page keeps waiting.
  const [rerunFrom, setRerunFrom] = useState<number | null>(null);
  const making = transcript?.status === 'processing' || transcript?.status === 'idle';
  useTranscriptUpdates(id, share, making, (event) => {
    if (event.status !== 'ended' && event.status !== 'error') {
      setTranscript((t) => (t ? { ...t, status: event.status, progress: event.progress ?? t.progress } : t));
      return;
    }
    if (rerunFrom === null) return void load();
    api.getTranscript(id, share).then((t) => {
      if (t.status === 'error' || t.revision > rerunFrom) {
        setRerunFrom(null);
        setTranscript(t);
      }
    }, setError);
  });
  const onRerunStarted = () => {
    setRerunFrom(transcript?.revision ?? 0);
    setTranscript((t) => (t ? { ...t, status: 'processing', progress: null } : t));
  };

  const ended = transcript?.status === 'ended';
  const [editing, setEditing] = useState<number | null>(null);
  const onCorrected = useCallback((answer: Corrected) => {
    setTranscript((t) => (t ? { ...t, revision: answer.revision, segments: answer.segments, participants: answer.participants } : t));
  }, []);
  const corrections = useCorrections(transcript?.revision ?? 0, onCorrected);
  const reload = () => {
    setEditing(null);
    corrections.clear();
    void load();
  };
  // A linked moment: its turn scrolled into view once the transcript is shown.
  useEffect(() => {
    if (ended && startAt !== undefined) document.querySelector('.turn.current')?.scrollIntoView({ block: 'center' });
  }, [ended, startAt]);

  if (share && error instanceof ApiError && (error.status === 404 || error.status === 401)) return <LinkNotAvailable />;
  if (error instanceof ApiError && error.status === 404) return <NotFoundPage what="This transcript" />;
  if (error) return <ErrorNote error={error} title="Could not load the transcript" />;
  if (!transcript) return <Loading what="the transcript" />;

  const t = transcript;
  const playing = t.segments.findIndex((s, i) => time >= s.start && (time < (t.segments[i + 1]?.start ?? Infinity)) && time <= s.end + 1.5);
  // A link's moment is whole seconds (`?t=30` for a turn at 30.25 s): from that moment to the turn's end, that turn is
  // the current one (also in the quarter second before it starts, and over an earlier turn's trailing grace).
  const linkedTurn = startAt === undefined ? -1 : t.segments.findLastIndex((s) => Math.floor(s.start) <= startAt && startAt <= s.end);
  const linked = linkedTurn !== -1 && time >= startAt! && time <= t.segments[linkedTurn]!.end ? linkedTurn : -1;
  const current = linked !== -1 && (playing === -1 || playing < linked) ? linked : playing;
  return (
    <div className="transcript-page">
      <PageHeading title={t.title ?? (making ? 'Transcript in progress' : 'Transcript')}>
        <span className={`badge badge-${t.status}`}>{t.status === 'ended' ? 'Done' : t.status === 'error' ? 'Failed' : 'Processing'}</span>
      </PageHeading>
      <p className="muted">
        {t.participants.map((p) => p.name).join(', ') || 'No speakers yet'}
        {t.durationSeconds !== null && ` · ${formatDuration(t.durationSeconds)}`}
        {` · ${new Date(t.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`}
        {/* The meeting's page is its host's: every part of the meeting on one timeline. */}
        {t.isOwner && t.meetingId && <> · <Link href={`/meetings/${t.meetingId}`}>the meeting's timeline</Link></>}
      </p>

      {making && (
        <section className="card" aria-labelledby="progress-title">
          <h2 id="progress-title">Making the transcript</h2>
          <ProgressBar label={stepLabel(t.progress?.step)} percent={t.progress?.percent ?? 0}
            detail={t.progress && t.progress.tracksTotal > 0 ? `${t.progress.tracksDone} of ${t.progress.tracksTotal} speaker tracks transcribed` : undefined} />
          <p className="hint">This page updates by itself; you can also leave and come back.</p>
        </section>
      )}
      {t.status === 'error' && <ErrorNote error={new Error(t.error ?? 'unknown reason')} title="The transcript could not be made" />}
      {t.status === 'error' && t.isOwner && <RunAgain transcript={t} onStarted={onRerunStarted} />}

      {ended && (
        <>
          {t.speakers === 'mixed-audio' && (
            <p className="note">A single-speaker transcript of the room's mixed audio: this platform records no per-speaker audio, and no diarization model is available offline to tell the voices apart.</p>
          )}
          {t.delivery && <DeliveryNote delivery={t.delivery} />}
          {t.engines.summary === 'offline-extractive' && (
            <p className="note">The summary is extractive: sentences picked from the transcript, not written. A summary service (SUMMARY_ENGINE) writes one.</p>
          )}
          <div className="transcript-grid">
            <div className="transcript-main">
              {t.audio ? (
                <Player ref={player} transcriptId={t.id} share={share} src={withShare(t.audio.url, share)} onTime={setTime} startAt={startAt} />
              ) : (
                <p className="note">{t.audioDeleted ? 'The audio was deleted after transcription, as a participant asked.' : 'No audio for this transcript.'}</p>
              )}
              <section aria-labelledby="turns-title">
                <h2 id="turns-title">Transcript</h2>
                {t.isOwner && <CorrectionProblems state={corrections} onReload={reload} />}
                {t.segments.length === 0 ? (
                  <Empty>No speech was recognised.</Empty>
                ) : (
                  <ol className="turns">
                    {t.segments.map((s, i) => (
                      <li key={i} className={i === current ? 'turn current' : 'turn'} aria-current={i === current ? 'true' : undefined}>
                        {/* Its name is its visible text (time, speaker, words) and what it does, for speech input too. */}
                        <button type="button" className="turn-button" disabled={!t.audio} onClick={() => player.current?.seek(s.start, true)}>
                          <span className="turn-time">{formatDuration(s.start)}</span>
                          <span className={`turn-speaker speaker-${s.speaker % 6}`}>{s.speakerName}</span>
                          <span className="turn-text">{s.text}</span>
                          {t.audio && <span className="visually-hidden"> (play from here)</span>}
                        </button>
                        {t.isOwner && editing !== i && (
                          <button type="button" className="button-small turn-edit" onClick={() => setEditing(i)}>
                            Edit<span className="visually-hidden"> the turn at {formatDuration(s.start)}</span>
                          </button>
                        )}
                        {t.isOwner && editing === i && <TurnEditor key={`${t.revision}:${i}`} transcript={t} index={i} state={corrections} onDone={() => setEditing(null)} />}
                      </li>
                    ))}
                  </ol>
                )}
              </section>
            </div>
            <aside className="transcript-side">
              <section className="card" aria-labelledby="summary-title">
                <h2 id="summary-title">Summary</h2>
                <p>{t.shortSummary ?? '—'}</p>
                {t.longSummary && t.longSummary !== t.shortSummary && (
                  <details><summary>Longer summary</summary><p className="pre-line">{t.longSummary}</p></details>
                )}
              </section>
              {t.topics.length > 0 && (
                <section className="card" aria-labelledby="topics-title">
                  <h2 id="topics-title">Topics</h2>
                  <ul className="plain-list">
                    {t.topics.map((topic, i) => (
                      <li key={i}>
                        <button type="button" className="button-link" disabled={!t.audio} onClick={() => player.current?.seek(topic.start, true)}>{formatDuration(topic.start)}</button>{' '}
                        <strong>{topic.title}</strong>
                        {topic.summary && <p className="hint">{topic.summary}</p>}
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              <ActionItems transcriptId={t.id} share={share} owner={t.isOwner} canSeek={Boolean(t.audio)} onSeek={(seconds) => player.current?.seek(seconds, true)} />
              <section className="card" aria-labelledby="downloads-title">
                <h2 id="downloads-title">Downloads</h2>
                <ul className="downloads">
                  {t.exports.vtt && <li><a href={withShare(t.exports.vtt, share)} download>Subtitles (WebVTT)</a></li>}
                  {t.exports.srt && <li><a href={withShare(t.exports.srt, share)} download>Subtitles (SRT)</a></li>}
                  {t.exports.txt && <li><a href={withShare(t.exports.txt, share)} download>Text</a></li>}
                  {t.exports['txt-timestamps'] && <li><a href={withShare(t.exports['txt-timestamps'], share)} download>Text with timestamps</a></li>}
                  {t.exports.json && <li><a href={withShare(t.exports.json, share)} download>JSON</a></li>}
                  {t.audio && <li><a href={withShare(t.audio.url, share)} download>Audio (MP3)</a></li>}
                </ul>
              </section>
              {t.isOwner && <Speakers transcript={t} state={corrections} />}
              <Versions transcriptId={t.id} share={share} revision={t.revision} owner={t.isOwner} onRestored={reload} />
              {t.isOwner && <RunAgain transcript={t} onStarted={onRerunStarted} />}
              {t.isOwner && <EditHistory transcript={t} state={corrections} />}
              {t.isOwner && <Sharing recordingId={t.recordingId} transcriptId={t.id} />}
              {t.isOwner && <TranscriptSharing transcriptId={t.id} />}
            </aside>
          </div>
          {t.hasCloudRecording && t.meetingId && (
            <section className="card" aria-labelledby="video-title">
              <h2 id="video-title">Cloud recording</h2>
              {simulatedOnly && (
                <p className="hint" id="video-simulated">Recorded by the simulator: a simulated call has no cameras, so the picture is a plain dark frame; the sound is the meeting's audio, every voice mixed, as the platform composes it.</p>
              )}
              <video controls preload="metadata" src={api.cloudRecordingUrl(t.meetingId, share)} className="cloud-video">
                <a href={api.cloudRecordingUrl(t.meetingId, share)}>Download the cloud recording</a>
              </video>
            </section>
          )}
        </>
      )}
    </div>
  );
}

/** A public link that no longer opens anything: turned off by its owner, replaced, expired, or mistyped. */
function LinkNotAvailable() {
  return (
    <section className="link-unavailable" aria-labelledby="unavailable-text">
      <PageHeading title="This link is not available" />
      <p id="unavailable-text">The transcript behind this link is no longer shared: its owner may have turned the link off or made a new one, or it has expired. Ask whoever sent it for a new link.</p>
      <p><Link href="/">Sign in</Link> if you have an account that may see it.</p>
    </section>
  );
}

/** Where the notes went (mail, Zulip) and what did not get there: the owner's to see, a failure as a warning. */
function DeliveryNote({ delivery: { email, zulip } }: { delivery: TranscriptDelivery }) {
  const parts: string[] = [];
  const problems: string[] = [];
  if (email?.status === 'no-recipients') parts.push('no participant has an account to mail the notes to');
  else if (email && email.sent > 0) parts.push(`notes mailed to ${email.sent} participant${email.sent === 1 ? '' : 's'}`);
  if (email?.error) problems.push(`Mail: ${email.error}`);
  if (zulip && zulip.status !== 'failed') parts.push(`${zulip.status === 'edited' ? 'Zulip message updated' : 'posted'} in #${zulip.stream} › ${zulip.topic}`);
  if (zulip?.error) problems.push(`Zulip (#${zulip.stream}): ${zulip.error}`);
  return (
    <>
      {parts.length > 0 && <p className="note">Delivered: {parts.join('; ')}.</p>}
      {problems.length > 0 && <p className="note note-error" role="status">Not delivered. {problems.join(' ')}</p>}
    </>
  );
}
