// meetingWorkflow: the single owner of one meeting's state, from creation until it has ended.
// Workflow id `meeting/<meetingId>`. Deterministic code only (lint forbids I/O here).
import {
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { MeetingStateAttribute } from './search-attributes.ts';

export interface MeetingWorkflowInput {
  meetingId: string;
  roomName: string;
  platform: string;
  /** ISO 8601: when the meeting closes if nobody ends it sooner. */
  endDate: string;
}

export type MeetingPhase = 'open' | 'ended';
export type MeetingEndReason = 'api' | 'end-date';

export interface MeetingState {
  meetingId: string;
  phase: MeetingPhase;
  endDate: string;
  endReason: MeetingEndReason | null;
}

export const meetingWorkflowId = (meetingId: string) => `meeting/${meetingId}`;

/** Ends the meeting now (API call). Later requests are harmless. */
export const endMeetingSignal = defineSignal<[{ reason: MeetingEndReason }]>('endMeeting');
export const meetingStateQuery = defineQuery<MeetingState>('state');

const { markMeetingEnded } = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Keeps the operator-visible state current; only where the starter registered it (test servers may lack it). */
function setMeetingState(value: string): void {
  if (workflowInfo().typedSearchAttributes.get(MeetingStateAttribute) === undefined) return;
  upsertSearchAttributes([{ key: MeetingStateAttribute, value }]);
}

export async function meetingWorkflow(input: MeetingWorkflowInput): Promise<MeetingState> {
  const state: MeetingState = { meetingId: input.meetingId, phase: 'open', endDate: input.endDate, endReason: null };
  let endRequested: MeetingEndReason | null = null;

  setHandler(meetingStateQuery, () => state);
  setHandler(endMeetingSignal, ({ reason }) => {
    endRequested ??= reason;
  });

  setCurrentDetails(`Open until ${input.endDate} or until ended through the API.`);
  const untilEnd = Math.max(0, Date.parse(input.endDate) - Date.now());
  const endedEarly = await condition(() => endRequested !== null, untilEnd);
  state.endReason = endedEarly && endRequested ? endRequested : 'end-date';

  setCurrentDetails(`Ending (${state.endReason}): marking the meeting inactive.`);
  await markMeetingEnded({ meetingId: input.meetingId, endedAt: new Date(Date.now()).toISOString(), reason: state.endReason });

  state.phase = 'ended';
  setMeetingState('ended');
  setCurrentDetails(`Ended (${state.endReason}).`);
  return state;
}
