// The transcript's audio: the browser's own controls, plus the waveform as a seek slider (click, drag or
// arrow keys) showing how far playback has come.
import { forwardRef, useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { api } from '../api/client.ts';
import { formatDuration } from '../components/ui.tsx';

export interface PlayerHandle {
  seek(seconds: number, play?: boolean): void;
}

interface Props {
  transcriptId: string;
  /** A public link's token, when the page was opened through one. */
  share?: string;
  src: string;
  onTime: (seconds: number) => void;
  /** Where playback starts (a link's `?t=`): sought once the audio's length is known, and played if the browser lets it. */
  startAt?: number;
}

export const Player = forwardRef<PlayerHandle, Props>(function Player({ transcriptId, share, src, onTime, startAt }, ref) {
  const audio = useRef<HTMLAudioElement>(null);
  const [peaks, setPeaks] = useState<number[]>([]);
  const [duration, setDuration] = useState(0);
  const [time, setTime] = useState(startAt ?? 0);

  useEffect(() => {
    api.waveform(transcriptId, share).then((w) => {
      setPeaks(w.peaks);
      setDuration((d) => d || w.durationSeconds);
    }, () => setPeaks([]));
  }, [transcriptId, share]);

  const seek = (seconds: number, play = false) => {
    const a = audio.current;
    if (!a) return;
    a.currentTime = Math.max(0, Math.min(seconds, duration || a.duration || seconds));
    setTime(a.currentTime);
    onTime(a.currentTime);
    if (play) void a.play().catch(() => undefined);
  };
  useImperativeHandle(ref, () => ({ seek }));

  // A linked moment: once the audio's length is known, seek there and play (a browser may refuse to play
  // without a click on this page; the position stays, and the play button starts from there).
  const started = useRef(false);
  useEffect(() => {
    const a = audio.current;
    if (!a || startAt === undefined) return;
    const start = () => {
      if (started.current) return;
      started.current = true;
      seek(startAt, true);
    };
    if (a.readyState >= HTMLMediaElement.HAVE_METADATA) start();
    else a.addEventListener('loadedmetadata', start, { once: true });
    return () => a.removeEventListener('loadedmetadata', start);
  }, [startAt]);

  // Timeupdate fires a few times a second; animation frames keep the highlight exact while playing.
  useEffect(() => {
    const a = audio.current;
    if (!a) return;
    let frame = 0;
    const update = () => {
      setTime(a.currentTime);
      onTime(a.currentTime);
      if (!a.paused) frame = requestAnimationFrame(update);
    };
    const play = () => { cancelAnimationFrame(frame); frame = requestAnimationFrame(update); };
    const meta = () => Number.isFinite(a.duration) && setDuration(a.duration);
    a.addEventListener('play', play);
    a.addEventListener('seeked', update);
    a.addEventListener('pause', update);
    a.addEventListener('loadedmetadata', meta);
    return () => {
      cancelAnimationFrame(frame);
      a.removeEventListener('play', play);
      a.removeEventListener('seeked', update);
      a.removeEventListener('pause', update);
      a.removeEventListener('loadedmetadata', meta);
    };
  }, [onTime]);

  const fromPointer = (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    seek(((event.clientX - box.left) / box.width) * duration);
  };
  const onKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const steps: Record<string, number> = { ArrowLeft: -5, ArrowRight: 5, ArrowDown: -5, ArrowUp: 5, PageDown: -30, PageUp: 30 };
    if (event.key in steps) seek(time + steps[event.key]!);
    else if (event.key === 'Home') seek(0);
    else if (event.key === 'End') seek(duration);
    else if (event.key === ' ' || event.key === 'Enter') {
      if (audio.current?.paused) void audio.current.play().catch(() => undefined);
      else audio.current?.pause();
    } else return;
    event.preventDefault();
  };

  const played = duration ? time / duration : 0;
  return (
    <section className="card player" aria-label="Audio">
      <audio ref={audio} src={src} controls preload="metadata" className="audio" />
      <div className="waveform" role="slider" tabIndex={0} aria-label="Seek in the audio" aria-valuemin={0} aria-valuemax={Math.round(duration)}
        aria-valuenow={Math.round(time)} aria-valuetext={`${formatDuration(time)} of ${formatDuration(duration)}`}
        onPointerDown={fromPointer} onKeyDown={onKey}>
        <svg viewBox={`0 0 ${Math.max(1, peaks.length)} 100`} preserveAspectRatio="none" aria-hidden="true">
          {peaks.map((p, i) => (
            <rect key={i} x={i + 0.15} width={0.7} y={50 - Math.max(1, p * 48)} height={Math.max(2, p * 96)} className={i / peaks.length < played ? 'played' : ''} />
          ))}
        </svg>
        <div className="playhead" style={{ left: `${played * 100}%` }} />
      </div>
      <p className="hint">{formatDuration(time)} / {formatDuration(duration)} · click the waveform or a line of the transcript to jump there.</p>
    </section>
  );
});
