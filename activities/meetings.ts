// Activities about meetings: the workflow's only way to touch the database.
import { Meeting } from '../db/entities.ts';
import type { ActivityDependencies } from './index.ts';

export function createMeetingActivities({ db }: ActivityDependencies) {
  return {
    /** Idempotent: a retried or repeated call leaves the first end time in place. */
    async markMeetingEnded(input: { meetingId: string; endedAt: string; reason: string }): Promise<void> {
      const em = db.em.fork();
      const meeting = await em.findOne(Meeting, input.meetingId);
      if (!meeting) return; // deleted with its room: nothing left to mark
      if (!meeting.active && meeting.endedAt) return;
      meeting.active = false;
      meeting.endedAt ??= new Date(input.endedAt);
      await em.flush();
    },
  };
}
