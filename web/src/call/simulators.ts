// Each platform's simulator as the simulated call drives it (CallSimulator): how you and a simulated guest
// join, speak and leave there, and whom the simulator has in the room.
import { api } from '../api/client.ts';
import { dailySimulator } from '../api/daily-simulator.ts';
import { liveKitSimulator } from '../api/livekit-simulator.ts';
import { hmsSimulator } from '../api/hms-simulator.ts';
import { wherebySimulator } from '../api/whereby-simulator.ts';
import { PLATFORM_LABELS } from '../api/types.ts';
import type { CallSimulator } from './SimulatedCall.tsx';

/** What both simulators' control clients do by a participant's session (LiveKit's participant sid). */
interface BySession {
  sayText(sessionId: string, text: string): Promise<{ durationMs: number }>;
  sayAudio(sessionId: string, audio: Blob): Promise<{ durationMs: number }>;
  leave(sessionId: string): Promise<unknown>;
}

/** Speaking and leaving are alike on every simulator. */
function bySession(sim: BySession): Pick<CallSimulator, 'sayText' | 'sayAudio' | 'leave'> {
  return {
    sayText: (sessionId, text) => sim.sayText(sessionId, text),
    sayAudio: (sessionId, audio) => sim.sayAudio(sessionId, audio),
    leave: async (sessionId) => void (await sim.leave(sessionId)),
  };
}

/**
 * Who is in the room, by the simulator's state (undefined: no such room), and the end of a call where participants
 * have no "end": everyone of this page still in the room leaves.
 */
function byPresence(ids: (room: string) => Promise<string[] | undefined>, leave: (id: string) => Promise<unknown>): Pick<CallSimulator, 'present' | 'endCall'> {
  return {
    present: async (room) => {
      const present = await ids(room);
      return present && new Set(present);
    },
    async endCall(room, sessionIds) {
      const present = new Set(await ids(room));
      await Promise.all(sessionIds.filter((id) => present.has(id)).map((id) => leave(id)));
    },
  };
}

export function dailyCallSimulator(base: string): CallSimulator {
  const sim = dailySimulator(base);
  return {
    platform: PLATFORM_LABELS.daily,
    join: async (room, you) => ({ sessionId: (await sim.join(room, you)).sessionId }),
    async joinGuest(room, guest) {
      // The guest's own "browser": a token from our API, then the platform join.
      const answer = await api.joinMeeting(guest.meetingId, guest.userName);
      return { sessionId: (await sim.join(room, { userName: guest.userName, token: answer.token, voice: guest.voice })).sessionId };
    },
    present: async (room) => {
      const state = await sim.room(room);
      return state && new Set(state.present.map((p) => p.sessionId));
    },
    ...bySession(sim),
    // Daily's meeting ends as the simulator ends the call (everyone leaves at once).
    endCall: async (room) => void (await sim.endCall(room)),
  };
}

export function liveKitCallSimulator(base: string): CallSimulator {
  const sim = liveKitSimulator(base);
  return {
    platform: PLATFORM_LABELS.livekit,
    join: async (room, you) => ({ sessionId: (await sim.join(room, { token: you.token, voice: you.voice })).participantSid }),
    // LiveKit tells participants apart by identity, and a token from our API for this page carries yours (one per
    // account; a second join with it would replace you): a simulated guest is a person of their own, with an
    // identity of their own, as their own livekit-client with their own token would be.
    joinGuest: async (room, guest) => ({
      sessionId: (await sim.join(room, { identity: `simulated-${crypto.randomUUID()}`, name: guest.userName, voice: guest.voice })).participantSid,
    }),
    ...bySession(sim),
    // A LiveKit room has no "end" for participants: everyone still in it leaves, and it finishes after its departure timeout.
    ...byPresence(async (room) => (await sim.room(room))?.present.map((p) => p.sid), sim.leave),
  };
}

export function hmsCallSimulator(base: string): CallSimulator {
  const sim = hmsSimulator(base);
  return {
    platform: PLATFORM_LABELS['100ms'],
    join: async (room, you) => ({ sessionId: (await sim.join(room, { token: you.token, name: you.userName, voice: you.voice })).peerId }),
    // A token from our API for this page names your account (and, as the owner, the host role): a simulated guest
    // is a person of their own, joined by name with the guest role, as their own browser with their own token would be.
    joinGuest: async (room, guest) => ({
      sessionId: (await sim.join(room, { name: guest.userName, userId: `simulated-${crypto.randomUUID()}`, role: 'guest', voice: guest.voice })).peerId,
    }),
    ...bySession(sim),
    // Everyone in the page leaves; the session closes as its last peer leaves.
    ...byPresence(async (room) => (await sim.room(room))?.present.map((p) => p.peerId), sim.leave),
  };
}

export function wherebyCallSimulator(base: string): CallSimulator {
  const sim = wherebySimulator(base);
  // Whereby's recorder is a client of the room too, not a person of this page.
  const people = async (room: string) => (await sim.meeting(room))?.present.filter((p) => p.roleName !== 'recorder').map((p) => p.participantId);
  return {
    platform: PLATFORM_LABELS.whereby,
    // The URL our API answered you: the host link as the room's owner.
    join: async (_room, you) => ({ sessionId: (await sim.join({ roomUrl: you.roomUrl, displayName: you.userName, voice: you.voice })).participantId }),
    // A simulated guest opens the meeting's room URL, as a person of their own given the link.
    joinGuest: async (_room, guest) => ({ sessionId: (await sim.join({ roomUrl: guest.roomUrl, displayName: guest.userName, voice: guest.voice })).participantId }),
    ...bySession(sim),
    // Everyone in the page leaves; the room's session ends as its last client (the recorder) leaves.
    ...byPresence(people, sim.leave),
  };
}
