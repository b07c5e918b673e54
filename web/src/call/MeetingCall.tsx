// The call of a meeting, by the meeting's platform: a simulated call when this server has the page drive that
// platform's simulator (embedded mode), else the platform's own client. What the page learns from the call —
// you joined, someone joined, you left, the platform's word on recording — is the same for every platform.
import { useMemo } from 'react';
import type { JoinAnswer, Platform } from '../api/types.ts';
import { useSession } from '../session.tsx';
import { ErrorNote } from '../components/ui.tsx';
import { SimulatedCall, type CallSimulator } from './SimulatedCall.tsx';
import { dailyCallSimulator, hmsCallSimulator, liveKitCallSimulator, wherebyCallSimulator } from './simulators.ts';
import { DailyCall } from './DailyCall.tsx';
import { LiveKitCall } from './LiveKitCall.tsx';

interface Props {
  join: JoinAnswer;
  userName: string;
  /** You (or a simulated guest) are in the call. */
  onParticipantJoined: (isYou: boolean) => Promise<void>;
  /** What the platform's client last said about recording. */
  onRecording: (recording: boolean) => void;
  onError: (error: unknown) => void;
  onLeft: () => void;
}

const SIMULATORS: Partial<Record<Platform, (base: string) => CallSimulator>> = { daily: dailyCallSimulator, livekit: liveKitCallSimulator, '100ms': hmsCallSimulator, whereby: wherebyCallSimulator };

export function MeetingCall({ join, userName, onParticipantJoined, onRecording, onError, onLeft }: Props) {
  const { config } = useSession();
  const { platform } = join.meeting;
  const simulatorPath = config.calls[platform]?.simulatorControlPath ?? null;
  const simulator = useMemo(() => (simulatorPath ? SIMULATORS[platform]?.(simulatorPath) : undefined), [platform, simulatorPath]);
  if (simulator) return <SimulatedCall simulator={simulator} join={join} userName={userName} onParticipantJoined={onParticipantJoined} onLeft={onLeft} />;
  switch (platform) {
    case 'daily':
      return <DailyCall join={join} userName={userName} onJoined={() => void onParticipantJoined(true)} onRecording={onRecording}
        onRecordingError={(message) => onError(new Error(message))} onLeft={onLeft} />;
    case 'livekit':
      return <LiveKitCall join={join} onJoined={() => void onParticipantJoined(true)} onRecording={onRecording} onLeft={onLeft} />;
    default:
      return <ErrorNote error={new Error(`This page cannot hold calls on ${platform}.`)} title="The call could not start" />;
  }
}
