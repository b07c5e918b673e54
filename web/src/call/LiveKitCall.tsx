// A LiveKit call through livekit-client, with the LiveKit URL and the join token from our API; livekit-client is
// loaded only here. You publish your microphone (and your camera when you turn it on); the others' audio plays
// and their cameras show. LiveKit's own word on recording (an egress records the room) is passed up.
import { useEffect, useRef, useState } from 'react';
import type { Participant, Room, Track } from 'livekit-client';
import type { JoinAnswer } from '../api/types.ts';
import { ErrorNote } from '../components/ui.tsx';

interface Props {
  join: JoinAnswer;
  onJoined: () => void;
  /** livekit-client's RecordingStatusChanged. */
  onRecording: (recording: boolean) => void;
  onLeft: () => void;
}

/** A participant as the page shows them. */
interface Person {
  identity: string;
  name: string;
  you: boolean;
  speaking: boolean;
  microphone: boolean;
  camera: Track | undefined;
}

type Connection = 'connecting' | 'connected' | 'reconnecting';

export function LiveKitCall({ join, onJoined, onRecording, onLeft }: Props) {
  const handlers = useRef({ onJoined, onRecording, onLeft });
  handlers.current = { onJoined, onRecording, onLeft };
  const sounds = useRef<HTMLDivElement>(null);
  const [room, setRoom] = useState<Room | null>(null);
  const [people, setPeople] = useState<Person[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    let connected = false;
    let current: Room | undefined;
    void (async () => {
      try {
        const { Room, RoomEvent, Track } = await import('livekit-client');
        if (cancelled) return;
        const lk = new Room({ adaptiveStream: true, dynacast: true });
        current = lk;
        const asPerson = (p: Participant): Person => ({
          identity: p.identity, name: p.name || p.identity, you: p === lk.localParticipant, speaking: p.isSpeaking,
          microphone: p.isMicrophoneEnabled, camera: p.getTrackPublication(Track.Source.Camera)?.track,
        });
        const refresh = () => setPeople([lk.localParticipant, ...lk.remoteParticipants.values()].map(asPerson));
        lk.on(RoomEvent.TrackSubscribed, (track) => {
          if (track.kind === Track.Kind.Audio) sounds.current?.append(track.attach());
          refresh();
        });
        lk.on(RoomEvent.TrackUnsubscribed, (track) => {
          for (const element of track.detach()) element.remove();
          refresh();
        });
        for (const event of [RoomEvent.ParticipantConnected, RoomEvent.ParticipantDisconnected, RoomEvent.ParticipantNameChanged, RoomEvent.ActiveSpeakersChanged,
          RoomEvent.TrackMuted, RoomEvent.TrackUnmuted, RoomEvent.LocalTrackPublished, RoomEvent.LocalTrackUnpublished] as const) lk.on(event, refresh);
        lk.on(RoomEvent.RecordingStatusChanged, (recording) => handlers.current.onRecording(recording));
        lk.on(RoomEvent.Reconnecting, () => setConnection('reconnecting'));
        lk.on(RoomEvent.Reconnected, () => setConnection('connected'));
        // Leaving, or LiveKit ending the call (the room deleted, this identity joining elsewhere); a failed connect throws instead.
        lk.on(RoomEvent.Disconnected, () => {
          if (connected && !cancelled) handlers.current.onLeft();
        });
        await lk.connect(join.roomUrl, join.token);
        if (cancelled) return;
        connected = true;
        setRoom(lk);
        setConnection('connected');
        refresh();
        handlers.current.onJoined();
        try {
          await lk.localParticipant.setMicrophoneEnabled(true);
        } catch (e) {
          setError(new Error(`The microphone is not available: ${(e as Error).message}`));
        }
        refresh();
      } catch (e) {
        if (!cancelled) setError(e);
      }
    })();
    return () => {
      cancelled = true;
      void current?.disconnect();
    };
  }, [join.roomUrl, join.token]);

  const you = people.find((p) => p.you);
  const toggle = async (what: 'microphone' | 'camera') => {
    if (!room || !you) return;
    setError(null);
    try {
      if (what === 'microphone') await room.localParticipant.setMicrophoneEnabled(!you.microphone);
      else await room.localParticipant.setCameraEnabled(!you.camera);
    } catch (e) {
      setError(new Error(`The ${what} is not available: ${(e as Error).message}`));
    }
  };

  return (
    <section className="livekit-call" aria-labelledby="livekit-title" data-room-url={join.roomUrl} data-connection={connection}>
      <div className="card">
        <h2 id="livekit-title">Call</h2>
        <p role="status">{!room && !error ? 'Connecting to LiveKit…' : connection === 'reconnecting' ? 'Connection lost; reconnecting…' : room ? 'In the call (LiveKit).' : ''}</p>
        <ErrorNote error={error} title="The call could not start" />
        {room && you && (
          <div className="actions">
            <button type="button" onClick={() => void toggle('microphone')}>{you.microphone ? 'Mute my microphone' : 'Unmute my microphone'}</button>
            <button type="button" onClick={() => void toggle('camera')}>{you.camera ? 'Turn my camera off' : 'Turn my camera on'}</button>
            <button type="button" className="button-danger" onClick={() => void room.disconnect()}>Leave</button>
          </div>
        )}
      </div>
      <ul className="participants" aria-label="Participants">
        {people.map((p) => <PersonTile key={p.identity} person={p} />)}
      </ul>
      <div ref={sounds} hidden />
    </section>
  );
}

function PersonTile({ person }: { person: Person }) {
  const video = useRef<HTMLVideoElement>(null);
  const who = person.you ? `${person.name} (you)` : person.name;
  const { camera } = person;
  useEffect(() => {
    const element = video.current;
    if (!camera || !element) return;
    camera.attach(element);
    return () => void camera.detach(element);
  }, [camera]);
  return (
    <li className={`card participant${person.speaking ? ' speaking' : ''}`} aria-label={who}>
      <div className="participant-head">
        <span className="avatar" aria-hidden="true">{person.name.slice(0, 1).toUpperCase()}</span>
        <strong>{who}</strong>
        <span className="muted">{person.speaking ? 'speaking…' : person.microphone ? 'in the call' : 'microphone off'}</span>
      </div>
      {camera && <video ref={video} className="camera" autoPlay playsInline muted aria-label={`${who}: camera`} />}
    </li>
  );
}
