// Activities of recording deletion and retention. Each is idempotent: a retry, a second deletion run or a
// second retention sweep finds less to do, never an error (a missing object or row is already deleted).
// What a recording owns in storage, and how it is deleted: recordings/deletion.ts.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { Meeting, Recording, RecordingAccessLog, RecordingShare, Transcript } from '../db/entities.ts';
import { COMPOSITE } from '../meetings/messages.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';
import { deleteTargets, deletionTargets } from '../recordings/deletion.ts';
import type { ActivityDependencies } from './index.ts';

/** How many expired recordings one retention step claims. */
export const RETENTION_BATCH = 50;

export function createDeletionActivities({ db, storage }: ActivityDependencies) {
  return {
    /**
     * Cancels the recording's pipeline (`recording/<id>`) if it runs, and waits until it has closed, so it
     * writes nothing after we delete. Heartbeats while it waits.
     */
    async stopRecordingPipeline(input: { recordingId: string }): Promise<'not-found' | 'closed' | 'cancelled'> {
      const context = Context.current();
      const handle = context.client.workflow.getHandle(recordingWorkflowId(input.recordingId));
      try {
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING') return 'closed';
        await handle.cancel();
        const beat = setInterval(() => context.heartbeat('waiting for the pipeline to close'), 5_000);
        try {
          await handle.result().catch(() => undefined); // cancelled (or failed, or ended meanwhile): closed either way
        } finally {
          clearInterval(beat);
        }
        return 'cancelled';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'not-found';
        throw error;
      }
    },

    /**
     * Deletes every object of the recording. Heartbeats the count as it goes; a retry starts over, which is
     * cheap, since what was deleted is no longer listed and deleting a missing key is no error.
     */
    async deleteRecordingObjects(input: { recordingId: string }): Promise<{ deleted: number }> {
      const em = db.em.fork();
      const recording = await em.findOne(Recording, input.recordingId);
      if (!recording) return { deleted: 0 }; // rows already gone: so were the objects
      const transcript = await em.findOne(Transcript, { recording: recording.id });
      const targets = deletionTargets(recording, transcript);
      const context = Context.current();
      let deleted = 0;
      await deleteTargets(storage, targets, (key) => context.heartbeat({ deleted: ++deleted, key }));
      return { deleted };
    },

    /**
     * Deletes the rows: the transcript, the shares and the recording; a cloud recording's key leaves its
     * meeting. The access log stays: it is the audit trail of what happened to the recording.
     */
    async deleteRecordingRows(input: { recordingId: string }): Promise<{ deleted: boolean }> {
      return db.em.fork().transactional(async (em) => {
        const recording = await em.findOne(Recording, input.recordingId, { populate: ['meeting'] });
        if (!recording) return { deleted: false };
        if (recording.type === COMPOSITE && recording.meeting) {
          await em.nativeUpdate(Meeting, { id: recording.meeting.id, cloudRecordingKey: recording.objectKey }, { cloudRecordingKey: null, cloudRecordingDuration: null });
        }
        await em.nativeDelete(Transcript, { recording: recording.id });
        await em.nativeDelete(RecordingShare, { recording: recording.id });
        await em.nativeDelete(Recording, { id: recording.id });
        return { deleted: true };
      });
    },

    /**
     * Retention: claims up to `limit` recordings whose time is up (recordedAt + the room's retentionDays, else
     * the default; none when neither is set) and that nobody is deleting yet: marks them and logs a 'delete'
     * with detail 'retention' (no user). One SQL statement; a second sweep finds nothing.
     */
    async claimExpiredRecordings(input: { now: string; defaultRetentionDays: number | null; limit?: number }): Promise<string[]> {
      const em = db.em.fork();
      const now = new Date(input.now);
      const rows: Array<{ id: string }> = await em.getConnection().execute(
        `update recording set deletion_requested_at = ?, updated_at = ?
         where id in (
           select r.id from recording r
             left join meeting m on m.id = r.meeting_id
             left join room ro on ro.id = m.room_id
           where r.deletion_requested_at is null
             and coalesce(ro.retention_days, ?::int) is not null
             and r.recorded_at + make_interval(days => coalesce(ro.retention_days, ?::int)) <= ?
           order by r.recorded_at, r.id
           limit ?
           for update of r skip locked)
         returning id`,
        [now, now, input.defaultRetentionDays, input.defaultRetentionDays, now, input.limit ?? RETENTION_BATCH],
      );
      const ids = rows.map((row) => row.id);
      if (ids.length) {
        await em.insertMany(RecordingAccessLog, ids.map((recordingId) => ({
          id: randomUUID(), recordingId, transcriptId: null, userId: null, action: 'delete' as const, detail: 'retention', at: now, ip: null, userAgent: null,
        })));
      }
      return ids;
    },

    /**
     * Deletions asked for before `before` whose rows still exist (say the API stopped between marking and
     * starting the workflow): retention runs them again. Paged by id.
     */
    async findUnfinishedDeletions(input: { before: string; afterId?: string; limit?: number }): Promise<string[]> {
      const recordings = await db.em.fork().find(
        Recording,
        { deletionRequestedAt: { $ne: null, $lt: new Date(input.before) }, ...(input.afterId ? { id: { $gt: input.afterId } } : {}) },
        { fields: ['id'], orderBy: { id: 'asc' }, limit: input.limit ?? RETENTION_BATCH },
      );
      return recordings.map((r) => r.id);
    },

    /** Waits for a deletion some other path started (the API, an earlier sweep); 'failed' is left to the next sweep. */
    async awaitRecordingDeletion(input: { workflowId: string }): Promise<'completed' | 'failed'> {
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat('waiting for the deletion'), 5_000);
      try {
        await context.client.workflow.getHandle(input.workflowId).result();
        return 'completed';
      } catch (error) {
        if (error instanceof WorkflowFailedError) return 'failed';
        throw error;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
