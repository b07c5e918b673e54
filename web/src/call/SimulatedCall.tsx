// The embedded mode's call: this page drives the meeting's platform simulator (its control API on our own
// origin) the way participants' own clients would. You join with the token from our API; simulated guests join
// as the platform has people join (CallSimulator); anyone speaks a typed sentence (espeak-ng in the simulator) or
// an audio file, and you can speak through your microphone (MediaRecorder). Recording is asked of our API, as a
// real page does.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { JoinAnswer } from '../api/types.ts';
import { SIMULATOR_VOICES } from '../api/simulator-control.ts';
import { ErrorNote, TextField } from '../components/ui.tsx';

/** One platform's simulator as this call drives it (call/simulators.ts); a session is one participant in the call. */
export interface CallSimulator {
  /** The platform's name, as people know it. */
  platform: string;
  /** You, with your token and room URL from our API (the host link for the room's owner, where the platform has one). */
  join(platformRoomName: string, you: { userName: string; token: string; roomUrl: string; voice: string }): Promise<{ sessionId: string }>;
  /** Someone else in the call (in this page), joined as that platform has a person of their own join (`roomUrl`: the
   * meeting's own, never a host link). */
  joinGuest(platformRoomName: string, guest: { meetingId: string; userName: string; roomUrl: string; voice: string }): Promise<{ sessionId: string }>;
  /** The sessions the simulator has in the room now; undefined: it has no such room. */
  present(platformRoomName: string): Promise<Set<string> | undefined>;
  sayText(sessionId: string, text: string): Promise<{ durationMs: number }>;
  sayAudio(sessionId: string, audio: Blob): Promise<{ durationMs: number }>;
  leave(sessionId: string): Promise<void>;
  /** Everyone in this page leaves: the call is over. */
  endCall(platformRoomName: string, sessionIds: string[]): Promise<void>;
}

interface Participant {
  sessionId: string;
  name: string;
  you: boolean;
}

interface Props {
  simulator: CallSimulator;
  join: JoinAnswer;
  userName: string;
  onParticipantJoined: (isYou: boolean) => Promise<void>;
  onLeft: () => void;
}

export function SimulatedCall({ simulator: sim, join, userName, onParticipantJoined, onLeft }: Props) {
  const room = join.meeting.platformRoomName;
  const [participants, setParticipants] = useState<Participant[]>([]);
  const [present, setPresent] = useState<Set<string> | null>(null);
  const [guestName, setGuestName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [log, setLog] = useState<string[]>([]);
  const joined = useRef(false);

  const note = useCallback((line: string) => setLog((l) => [...l.slice(-19), `${new Date().toLocaleTimeString()} ${line}`]), []);

  // You join once, with your token from our API.
  useEffect(() => {
    if (joined.current) return;
    joined.current = true;
    void (async () => {
      try {
        const { sessionId } = await sim.join(room, { userName, token: join.token, roomUrl: join.roomUrl, voice: SIMULATOR_VOICES[0] });
        setParticipants([{ sessionId, name: userName, you: true }]);
        note(`${userName} (you) joined`);
        await onParticipantJoined(true);
      } catch (e) {
        setError(e);
      }
    })();
  }, [sim, room, userName, join.token, join.roomUrl, note, onParticipantJoined]);

  // Who the simulator says is in the room.
  useEffect(() => {
    const timer = setInterval(() => void sim.present(room).then((p) => setPresent(p ?? null), () => undefined), 1500);
    return () => clearInterval(timer);
  }, [sim, room]);

  const addGuest = async (event: FormEvent) => {
    event.preventDefault();
    const name = guestName.trim() || `Guest ${participants.length}`;
    setError(null);
    try {
      const voice = SIMULATOR_VOICES[participants.length % SIMULATOR_VOICES.length]!;
      const { sessionId } = await sim.joinGuest(room, { meetingId: join.meeting.id, userName: name, roomUrl: join.meeting.roomUrl ?? join.roomUrl, voice });
      setParticipants((p) => [...p, { sessionId, name, you: false }]);
      setGuestName('');
      note(`${name} joined`);
      await onParticipantJoined(false);
    } catch (e) {
      setError(e);
    }
  };

  const leave = async (participant: Participant) => {
    setError(null);
    try {
      if (participant.you) {
        // The guests live in this page: when you leave, the call ends for everyone.
        await sim.endCall(room, participants.map((p) => p.sessionId));
        note('everyone left');
        onLeft();
        return;
      }
      await sim.leave(participant.sessionId);
      setParticipants((p) => p.filter((x) => x.sessionId !== participant.sessionId));
      note(`${participant.name} left`);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="sim-call" aria-labelledby="sim-title">
      <div className="card">
        <h2 id="sim-title">Simulated call</h2>
        <p className="hint">
          No {sim.platform} account here: this call runs in the built-in {sim.platform} simulator. Participants speak typed sentences, audio files or
          your microphone; the recording and transcript are made exactly as for a real {sim.platform} call.
        </p>
        <ErrorNote error={error} title="The simulator refused" />
      </div>
      <ul className="participants" aria-label="Participants">
        {participants.map((p) => (
          <ParticipantCard key={p.sessionId} participant={p} inRoom={!present || present.has(p.sessionId)} sim={sim} onLeave={() => void leave(p)} note={note} onError={setError} />
        ))}
      </ul>
      <form className="card add-guest" onSubmit={addGuest}>
        <TextField label="Add a participant" placeholder="e.g. Grace" value={guestName} onChange={(e) => setGuestName(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={participants.length === 0}>Add to the call</button>
      </form>
      {log.length > 0 && (
        <details className="card" open>
          <summary>What happened</summary>
          <ol className="call-log" aria-live="polite">{log.map((line, i) => <li key={i}>{line}</li>)}</ol>
        </details>
      )}
    </section>
  );
}

interface CardProps {
  participant: Participant;
  inRoom: boolean;
  sim: CallSimulator;
  onLeave: () => void;
  note: (line: string) => void;
  onError: (error: unknown) => void;
}

function ParticipantCard({ participant, inRoom, sim, onLeave, note, onError }: CardProps) {
  const [text, setText] = useState('');
  const [speakingUntil, setSpeakingUntil] = useState(0);
  const [, tick] = useState(0);
  const who = participant.you ? `${participant.name} (you)` : participant.name;

  useEffect(() => {
    if (speakingUntil <= Date.now()) return;
    const timer = setTimeout(() => tick((n) => n + 1), speakingUntil - Date.now());
    return () => clearTimeout(timer);
  }, [speakingUntil]);

  const spoke = (what: string, answer: { durationMs: number }) => {
    setSpeakingUntil(Date.now() + answer.durationMs);
    note(`${participant.name} said ${what} (${(answer.durationMs / 1000).toFixed(1)} s)`);
  };

  const say = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    try {
      spoke(`"${text.trim()}"`, await sim.sayText(participant.sessionId, text.trim()));
      setText('');
    } catch (e) {
      onError(e);
    }
  };

  const upload = async (file: File | undefined) => {
    if (!file) return;
    try {
      spoke(`the file ${file.name}`, await sim.sayAudio(participant.sessionId, file));
    } catch (e) {
      onError(e);
    }
  };

  const speaking = speakingUntil > Date.now();
  return (
    <li className={`card participant${speaking ? ' speaking' : ''}`} aria-label={who}>
      <div className="participant-head">
        <span className="avatar" aria-hidden="true">{participant.name.slice(0, 1).toUpperCase()}</span>
        <strong>{who}</strong>
        <span className="muted">{!inRoom ? 'not in the room' : speaking ? 'speaking…' : 'in the call'}</span>
        <button type="button" className="button-small" onClick={onLeave}>{participant.you ? 'Leave (ends the call)' : 'Leave'}</button>
      </div>
      <form className="say-row" onSubmit={say}>
        <label className="visually-hidden" htmlFor={`say-${participant.sessionId}`}>Sentence for {participant.name} to say</label>
        <input id={`say-${participant.sessionId}`} placeholder="Type a sentence to say" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit">Say it</button>
      </form>
      <div className="say-row">
        {participant.you && <Microphone onRecorded={async (blob) => spoke('a microphone recording', await sim.sayAudio(participant.sessionId, blob))} onError={onError} />}
        <label className="button button-small file-button">
          Speak an audio file
          <input type="file" accept="audio/*,video/webm" className="visually-hidden" onChange={(e) => { void upload(e.target.files?.[0]); e.target.value = ''; }} />
        </label>
      </div>
    </li>
  );
}

/** Records from the microphone with MediaRecorder; the recording is then spoken into the call. */
function Microphone({ onRecorded, onError }: { onRecorded: (audio: Blob) => Promise<void>; onError: (error: unknown) => void }) {
  const recorder = useRef<MediaRecorder | null>(null);
  const [recordingSince, setRecordingSince] = useState<number | null>(null);
  const [elapsed, setElapsed] = useState(0);

  useEffect(() => {
    if (recordingSince === null) return;
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - recordingSince) / 1000)), 250);
    return () => clearInterval(timer);
  }, [recordingSince]);
  useEffect(() => () => recorder.current?.stream.getTracks().forEach((t) => t.stop()), []);

  const start = async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : '';
      const r = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const chunks: Blob[] = [];
      r.ondataavailable = (e) => chunks.push(e.data);
      r.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        onRecorded(new Blob(chunks, { type: r.mimeType || 'audio/webm' })).catch(onError);
      };
      r.start();
      recorder.current = r;
      setElapsed(0);
      setRecordingSince(Date.now());
    } catch (e) {
      onError(new Error(`The microphone is not available: ${(e as Error).message}`));
    }
  };
  const stop = () => {
    recorder.current?.stop();
    recorder.current = null;
    setRecordingSince(null);
  };

  return recordingSince === null ? (
    <button type="button" className="button-small" onClick={() => void start()}>Speak with my microphone</button>
  ) : (
    <button type="button" className="button-small button-danger" onClick={stop} aria-live="polite">Stop and send ({elapsed} s)</button>
  );
}
