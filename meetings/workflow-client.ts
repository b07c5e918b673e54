// How the API starts a meeting's workflow, `meeting/<id>`: one set of options (input, exactly-once id policy,
// search attributes, summary), used for a plain start and for an update-with-start.
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type WorkflowStartOptions } from '@temporalio/client';
import type { Meeting } from '../db/entities.ts';
import { compositeInstanceId, speakerAudioInstanceId } from '../platforms/platform.ts';
import type { Services } from '../runtime/services.ts';
import { meetingWorkflow } from '../workflows/meeting.ts';
import { MeetingIdAttribute, MeetingStateAttribute, PlatformAttribute, RoomNameAttribute } from '../workflows/search-attributes.ts';
import { COMPOSITE, SPEAKER_AUDIO, meetingWorkflowId } from './messages.ts';

export function meetingWorkflowOptions(services: Services, meeting: Meeting): WorkflowStartOptions<typeof meetingWorkflow> & { workflowIdConflictPolicy: WorkflowIdConflictPolicy } {
  return {
    workflowId: meetingWorkflowId(meeting.id),
    taskQueue: services.config.temporal.taskQueue,
    args: [{
      meetingId: meeting.id,
      roomName: meeting.room.name,
      platform: meeting.platform,
      platformRoomName: meeting.platformRoomName,
      instanceIds: { [COMPOSITE]: compositeInstanceId(meeting.id), [SPEAKER_AUDIO]: speakerAudioInstanceId(meeting.id) },
      recordingTrigger: meeting.recordingTrigger,
      recordingType: meeting.recordingType,
      endDate: meeting.endDate.toISOString(),
      recordingReadyTimeoutSeconds: services.config.meetings.recordingReadyTimeoutSeconds,
      presenceSweepSeconds: services.config.meetings.presenceSweepSeconds,
      recordingMaxDurationSeconds: services.config.meetings.recordingMaxDurationSeconds,
      historyMaxEvents: services.config.meetings.historyMaxEvents,
      perSpeakerAudio: services.platforms.get(meeting.platform).recordingCapabilities.perSpeakerAudio,
      ...(services.platforms.get(meeting.platform).recordingCapabilities.startedBy === 'platform' && { recordingStartedBy: 'platform' as const }),
    }],
    // Exactly one workflow per meeting: a second start finds the running one, and an ended one is never restarted.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: MeetingIdAttribute, value: meeting.id },
      { key: RoomNameAttribute, value: meeting.room.name },
      { key: PlatformAttribute, value: meeting.platform },
      { key: MeetingStateAttribute, value: 'open' },
    ],
    staticSummary: `Meeting in room "${meeting.room.name}" (${meeting.platformRoomName})`,
    staticDetails: `Meeting ${meeting.id}, ${meeting.platform}, trigger ${meeting.recordingTrigger}, until ${meeting.endDate.toISOString()}`,
  };
}

/** Starts the meeting's workflow, or finds the one already running: the workflow id makes this exactly-once. */
export async function ensureMeetingWorkflow(services: Services, meeting: Meeting): Promise<void> {
  await services.temporal.workflow.start(meetingWorkflow, meetingWorkflowOptions(services, meeting));
}
