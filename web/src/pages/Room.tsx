// A room (`/:roomName`): create or join its active meeting, answer the consent question, then the call on the
// meeting's platform (call/MeetingCall.tsx: Daily Prebuilt, livekit-client, or in the embedded mode a simulated
// call driving that platform's simulator). Recording follows the room's trigger: every participant's page asks
// our API on join; the host starts and stops by hand for manual triggers. The indicator follows the meeting
// workflow, and the platform client's own recording events where it has them.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, rememberMeetingToken } from '../api/client.ts';
import { PLATFORM_LABELS, PLATFORMS_RECORDING_THEMSELVES, type JoinAnswer, type Knock, type KnownRecordingStatus, type MeetingState, type RecordingControlStatus, type Room } from '../api/types.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorNote, Loading, PageHeading, TextField } from '../components/ui.tsx';
import { NotFoundPage } from './NotFound.tsx';
import { MeetingCall } from '../call/MeetingCall.tsx';
import { AfterMeeting } from '../call/AfterMeeting.tsx';

type Stage = { name: 'lobby' } | { name: 'knocking'; meetingId: string; userName: string } | { name: 'consent'; join: JoinAnswer } | { name: 'call'; join: JoinAnswer } | { name: 'left'; join: JoinAnswer };

const consentKey = (meetingId: string) => `consent:${meetingId}`;

export function RoomPage({ roomName }: { roomName: string }) {
  const session = useSession();
  const [room, setRoom] = useState<Room | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [stage, setStage] = useState<Stage>({ name: 'lobby' });
  const [userName, setUserName] = useState(() => localStorage.getItem('displayName') ?? session.user?.displayName ?? '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.getRoom(roomName).then(setRoom, setLoadError);
  }, [roomName]);

  if (loadError instanceof ApiError && loadError.status === 404) {
    if (!session.user && !session.local) return <GuestNotAdmitted roomName={roomName} />;
    return <NotFoundPage what={`Room "${roomName}"`} />;
  }
  if (loadError) return <ErrorNote error={loadError} title="Could not load the room" />;
  if (!room) return <Loading what="the room" />;

  const asksConsent = room.recordingType === 'cloud' && !room.skipConsent;
  const enter = async (meetingId: string, name: string) => {
    const answer = await api.joinMeeting(meetingId, name);
    if (answer.meetingToken) rememberMeetingToken(meetingId, answer.meetingToken);
    setStage(asksConsent && !localStorage.getItem(consentKey(meetingId)) ? { name: 'consent', join: answer } : { name: 'call', join: answer });
  };
  const join = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const name = userName.trim() || 'Guest';
      localStorage.setItem('displayName', name);
      const meeting = await api.openMeeting(room.name);
      // A locked room: knock first; its owner lets people in (the owner is in at once).
      if (room.locked && !room.isOwner) {
        const knock = await api.knock(meeting.id, name);
        if (knock.meetingToken) rememberMeetingToken(meeting.id, knock.meetingToken);
        if (!knock.admitted) {
          setStage({ name: 'knocking', meetingId: meeting.id, userName: name });
          return;
        }
      }
      await enter(meeting.id, name);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeading title={room.name}>
        {stage.name !== 'call' && room.isOwner && <Link href={`/rooms/${room.name}/settings`} className="button">Room settings</Link>}
      </PageHeading>
      {stage.name === 'lobby' && (
        <form className="card narrow" onSubmit={join}>
          <p>{describeRecording(room)}</p>
          <p className="muted" data-platform={room.platform}>Its meetings are held on {PLATFORM_LABELS[room.platform]}.</p>
          {!session.user && !session.local && (
            <p className="muted">You are joining as a guest, without an account. <Link href={`/signin?next=${encodeURIComponent(`/${room.name}`)}`}>Sign in</Link> if you have one.</p>
          )}
          <ErrorNote error={error} title="Could not join" />
          <TextField label="Your name" value={userName} onChange={(e) => setUserName(e.target.value)} autoComplete="name" required maxLength={100}
            hint="Shown to the others and in the transcript." />
          <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Joining…' : 'Join meeting'}</button>
        </form>
      )}
      {stage.name === 'knocking' && (
        <Knocking meetingId={stage.meetingId} userName={stage.userName} onAdmitted={() => enter(stage.meetingId, stage.userName)} />
      )}
      {stage.name === 'consent' && (
        <Consent meetingId={stage.join.meeting.id} onDone={() => setStage({ name: 'call', join: stage.join })} />
      )}
      {stage.name === 'call' && (
        <InCall room={room} join={stage.join} userName={userName.trim() || 'Guest'} onLeft={() => setStage({ name: 'left', join: stage.join })} />
      )}
      {stage.name === 'left' && (
        <>
          <AfterMeeting meetingId={stage.join.meeting.id} />
          <p><button type="button" onClick={() => setStage({ name: 'lobby' })}>Join again</button></p>
        </>
      )}
    </>
  );
}

/** Waiting at a locked room's door: knocks again every 2 s until the owner lets you in, then joins. */
function Knocking({ meetingId, userName, onAdmitted }: { meetingId: string; userName: string; onAdmitted: () => Promise<void> }) {
  const [error, setError] = useState<unknown>(null);
  const admitted = useRef(onAdmitted);
  admitted.current = onAdmitted;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    let done = false;
    const poll = async () => {
      try {
        if ((await api.knock(meetingId, userName)).admitted) {
          done = true;
          await admitted.current();
          return;
        }
      } catch (e) {
        setError(e);
      }
      if (!done) timer = setTimeout(poll, 2000);
    };
    timer = setTimeout(poll, 2000);
    return () => {
      done = true;
      clearTimeout(timer);
    };
  }, [meetingId, userName]);
  return (
    <section className="card narrow" aria-label="Waiting to be let in">
      <p role="status">This room is locked. You knocked; its owner lets you in…</p>
      <ErrorNote error={error} title="Could not knock" />
    </section>
  );
}

/** For the owner of a locked room, in the call: who knocks, with a button to let each in (checked every 2 s). */
function KnockList({ meetingId }: { meetingId: string }) {
  const [knocks, setKnocks] = useState<Knock[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        setKnocks(await api.listKnocks(meetingId));
      } catch (e) {
        setError(e);
      }
      timer = setTimeout(poll, 2000);
    };
    void poll();
    return () => clearTimeout(timer);
  }, [meetingId]);
  const admit = async (knock: Knock) => {
    try {
      const admitted = await api.admitKnock(meetingId, knock.participantKey);
      setKnocks((all) => all.map((k) => (k.participantKey === admitted.participantKey ? admitted : k)));
    } catch (e) {
      setError(e);
    }
  };
  const waiting = knocks.filter((k) => !k.admittedAt);
  return (
    <div role="group" aria-label="Knocking">
      <ErrorNote error={error} title="Could not load who knocks" />
      {waiting.length === 0 ? <p className="hint">Locked: nobody is knocking.</p> : (
        <><p className="hint">Locked; waiting at the door:</p><ul className="knocks">
          {waiting.map((k) => (
            <li key={k.participantKey}>{k.userName} <button type="button" onClick={() => void admit(k)}>Let {k.userName} in</button></li>
          ))}
        </ul></>
      )}
    </div>
  );
}

/** Someone without an account at a room that admits only signed-in people (or no such room: we do not say which). */
function GuestNotAdmitted({ roomName }: { roomName: string }) {
  return (
    <>
      <PageHeading title={roomName} />
      <section className="card narrow">
        <p>This room is open to signed-in people only (or there is no room by this name).</p>
        <p><Link href={`/signin?next=${encodeURIComponent(`/${roomName}`)}`} className="button button-primary">Sign in</Link></p>
      </section>
    </>
  );
}

function describeRecording(room: Room): string {
  if (room.recordingType === 'none') return 'Meetings in this room are not recorded.';
  if (room.recordingType === 'local') return 'Meetings in this room are not recorded here (recording type "local": only a participant\'s own browser could record).';
  switch (room.recordingTrigger) {
    case 'automatic': return 'Meetings in this room are recorded and transcribed from the moment someone joins.';
    case 'automatic-2nd-participant': return 'Meetings in this room are recorded and transcribed once a second person joins.';
    case 'prompt': return 'The host is asked whether to record when they join.';
    default: return 'The host can record and transcribe the meeting.';
  }
}

/** Asked once per participant and meeting: may the audio be kept after transcription? */
function Consent({ meetingId, onDone }: { meetingId: string; onDone: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const answer = async (consentGiven: boolean) => {
    try {
      await api.giveConsent(meetingId, consentGiven);
    } catch (e) {
      // A server without the consent endpoint (before accounts) still lets the participant in.
      if (!(e instanceof ApiError && e.status === 404)) return setError(e);
    }
    localStorage.setItem(consentKey(meetingId), consentGiven ? 'yes' : 'no');
    onDone();
  };
  return (
    <section className="card narrow" aria-labelledby="consent-title">
      <h2 id="consent-title">This meeting is recorded</h2>
      <p>It will be transcribed. May we keep your audio afterwards? If anyone says no, the meeting's recordings (audio, and the video with everyone's voices) are deleted once the transcript is made, or at once if it is made already; the transcript stays.</p>
      <ErrorNote error={error} title="Could not save your answer" />
      <div className="actions">
        <button type="button" className="button-primary" onClick={() => void answer(true)}>Keep the audio</button>
        <button type="button" onClick={() => void answer(false)}>Delete the audio after transcription</button>
      </div>
    </section>
  );
}

const RECORDING_LABELS: Record<RecordingControlStatus, string> = {
  idle: 'Not recording', 'waiting-for-participant': 'Recording starts when a second person joins', starting: 'Starting recording…',
  recording: 'Recording', stopping: 'Stopping recording…', stopped: 'Recording stopped', failed: 'Recording failed',
};

/** Each recording's life as the meeting workflow sees it (polled with the rest of its state). */
const RECORDING_LIFE_LABELS: Record<KnownRecordingStatus, string> = {
  pending: 'requested, waiting for the platform to confirm', recording: 'recording', ready: 'ready, being processed', error: 'failed', missing: 'never came from the platform',
};
const RECORDING_KIND_LABELS: Record<string, string> = { cloud: 'Video (cloud)', 'raw-tracks': 'Audio tracks', unknown: 'Recording' };

/** A per-track platform's microphones, each recorded on its own, in a line: how many are at each step. */
function describeSpeakerTracks(tracks: NonNullable<MeetingState['speakerTracks']>): string {
  const count = (status: string) => tracks.filter((t) => t.status === status).length;
  const steps = [['starting', 'starting'], ['recording', 'recording'], ['ready', 'ready'], ['error', 'failed'], ['missing', 'missing']] as const;
  return `Each speaker's audio: ${steps.filter(([status]) => count(status) > 0).map(([status, label]) => `${count(status)} ${label}`).join(', ')}`;
}

function InCall({ room, join, userName, onLeft }: { room: Room; join: JoinAnswer; userName: string; onLeft: () => void }) {
  const meetingId = join.meeting.id;
  const [state, setState] = useState<MeetingState | null>(null);
  /** What the platform's client last said about recording (null: nothing yet). */
  const [platformRecording, setPlatformRecording] = useState<boolean | null>(null);
  const [prompt, setPrompt] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const stopped = useRef(false);

  // The workflow's own view, every 2 s while the call lasts.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        setState(await api.meetingState(meetingId, controller.signal));
      } catch (e) {
        if ((e as Error).name === 'AbortError') return;
      }
      timer = setTimeout(poll, 2000);
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [meetingId]);

  const requestRecording = useCallback(async (manual: boolean) => {
    setError(null);
    try {
      const answer = await api.startRecording(meetingId, manual);
      setNotice(answer.note ?? null);
      setState((s) => (s ? { ...s, recording: { ...s.recording, status: answer.status } } : s));
    } catch (e) {
      setError(e);
    }
  }, [meetingId]);

  /** A participant is in the call: ask our API to record, per the room's trigger (as every participant's page does). */
  const onParticipantJoined = useCallback(async (isYou: boolean) => {
    if (room.recordingType !== 'cloud') return; // the API refuses the others (409)
    if (PLATFORMS_RECORDING_THEMSELVES.includes(room.platform)) return; // the platform starts it; our API refuses (409)
    if (room.recordingTrigger === 'automatic' || room.recordingTrigger === 'automatic-2nd-participant') await requestRecording(false);
    else if (isYou && join.isOwner && room.recordingTrigger === 'prompt') setPrompt(true);
  }, [room, join.isOwner, requestRecording]);

  const stopRecording = async () => {
    setError(null);
    try {
      const answer = await api.stopRecording(meetingId);
      setState((s) => (s ? { ...s, recording: { ...s.recording, status: answer.status } } : s));
    } catch (e) {
      setError(e);
    }
  };

  const left = useCallback(() => {
    if (stopped.current) return;
    stopped.current = true;
    onLeft();
  }, [onLeft]);

  const speakerTracks = state?.speakerTracks ?? [];
  const workflowStatus = state?.recording.status ?? 'idle';
  // The platform client's events are the freshest word; a later change of the workflow's own status takes over again.
  useEffect(() => setPlatformRecording(null), [workflowStatus]);
  const status: RecordingControlStatus = platformRecording === null ? workflowStatus : platformRecording ? 'recording' : 'stopped';
  const recording = status === 'recording';
  const recordsItself = PLATFORMS_RECORDING_THEMSELVES.includes(room.platform);
  const canControl = !recordsItself && join.isOwner && room.recordingType === 'cloud' && (room.recordingTrigger === 'none' || room.recordingTrigger === 'prompt');
  return (
    <div className="call-layout">
      <section className="card call-status" aria-label="Recording">
        <p className={`recording-indicator${recording ? ' on' : ''}`} role="status" aria-live="polite" data-status={recording ? 'recording' : status}>
          <span className="dot" aria-hidden="true" />
          {recording ? 'Recording' : RECORDING_LABELS[status]}
          {state?.recording.lastError && !recording && <span className="muted"> ({state.recording.lastError})</span>}
        </p>
        {state && (state.recordings.length > 0 || speakerTracks.length > 0) && (
          <ul className="plain-list recording-life" aria-label="Recordings">
            {state.recordings.map((r) => (
              <li key={r.id} data-kind={r.kind ?? 'unknown'} data-status={r.status}>{RECORDING_KIND_LABELS[r.kind ?? 'unknown']}: {RECORDING_LIFE_LABELS[r.status]}</li>
            ))}
            {speakerTracks.length > 0 && !state.recordings.some((r) => r.kind === 'raw-tracks') && (
              <li data-kind="speaker-tracks" data-recording={speakerTracks.filter((t) => t.status === 'recording').length}>{describeSpeakerTracks(speakerTracks)}</li>
            )}
          </ul>
        )}
        {notice && <p className="hint">{notice}</p>}
        {recordsItself && room.recordingType === 'cloud' && (
          <p className="hint">{PLATFORM_LABELS[room.platform]} records this call by itself, as the room's trigger says; the status here follows its recorder.</p>
        )}
        <ErrorNote error={error} title="Recording request failed" />
        {prompt && status !== 'recording' && (
          <div className="prompt" role="group" aria-label="Record this meeting?">
            <p>Record and transcribe this meeting?</p>
            <button type="button" className="button-primary" onClick={() => { setPrompt(false); void requestRecording(true); }}>Start recording</button>
            <button type="button" onClick={() => setPrompt(false)}>Not now</button>
          </div>
        )}
        {canControl && !prompt && (
          <div className="actions">
            {status === 'recording' || status === 'starting'
              ? <button type="button" className="button-danger" onClick={() => void stopRecording()}>Stop recording</button>
              : <button type="button" className="button-primary" onClick={() => void requestRecording(true)}>Start recording</button>}
          </div>
        )}
        {join.isOwner && <p className="hint">You host this room.</p>}
        {join.isOwner && room.locked && <KnockList meetingId={meetingId} />}
      </section>
      <MeetingCall join={join} userName={userName} onParticipantJoined={onParticipantJoined} onRecording={setPlatformRecording} onError={setError} onLeft={left} />
    </div>
  );
}

