// Daily Prebuilt through daily-js, with the token and room URL from our API. daily-js is loaded only here.
import { useEffect, useRef, useState } from 'react';
import type { DailyCall as DailyCallObject } from '@daily-co/daily-js';
import type { JoinAnswer } from '../api/types.ts';
import { ErrorNote } from '../components/ui.tsx';

interface Props {
  join: JoinAnswer;
  userName: string;
  onJoined: () => void;
  /** daily-js's recording-started / recording-stopped. */
  onRecording: (recording: boolean) => void;
  onRecordingError: (message: string) => void;
  onLeft: () => void;
}

export function DailyCall({ join, userName, onJoined, onRecording, onRecordingError, onLeft }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const handlers = useRef({ onJoined, onRecording, onRecordingError, onLeft });
  handlers.current = { onJoined, onRecording, onRecordingError, onLeft };
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let call: DailyCallObject | undefined;
    let cancelled = false;
    void (async () => {
      try {
        const { default: Daily } = await import('@daily-co/daily-js');
        if (cancelled || !container.current) return;
        call = Daily.createFrame(container.current, {
          iframeStyle: { width: '100%', height: '100%', border: '0' },
          showLeaveButton: true,
          userName,
        });
        // The frame is a region of the page like any other: it needs a name (WCAG frame-title).
        call.iframe()?.setAttribute('title', 'Video call (Daily)');
        call.on('joined-meeting', () => handlers.current.onJoined());
        call.on('recording-started', () => handlers.current.onRecording(true));
        call.on('recording-stopped', () => handlers.current.onRecording(false));
        call.on('recording-error', (event) => handlers.current.onRecordingError(event?.errorMsg ?? 'Daily reported a recording error'));
        call.on('left-meeting', () => handlers.current.onLeft());
        call.on('error', (event) => setError(new Error(event?.errorMsg ?? 'Daily reported an error')));
        await call.join({ url: join.roomUrl, token: join.token });
      } catch (e) {
        if (!cancelled) setError(e);
      }
    })();
    return () => {
      cancelled = true;
      void call?.destroy();
    };
  }, [join.roomUrl, join.token, userName]);

  return (
    <section className="daily-call" aria-label="Video call">
      <ErrorNote error={error} title="The call could not start" />
      <div ref={container} className="daily-frame" data-room-url={join.roomUrl} />
    </section>
  );
}
