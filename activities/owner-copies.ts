// Copies to the room owner's own storage (copies/webdav.ts): which files a finished recording has (its composite
// video, its transcript as WebVTT and text, its mixed audio), each sent by its own activity (retried, heartbeating,
// a file already there at its size not sent again), and the outcome kept on the recording for the owner to see.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Recording, Transcript, WebDavSetting, type OwnerCopyOutcome } from '../db/entities.ts';
import { openSecret } from '../copies/sealed-secret.ts';
import { uploadToWebDav, WEBDAV_PASSWORD, WebDavError } from '../copies/webdav.ts';
import { transcriptContentKey } from '../recordings/keys.ts';
import type { ActivityDependencies } from './index.ts';

export interface OwnerCopyFile {
  key: string;
  /** Below the owner's folder: `<room>/<date time> <recording>/<name>`. */
  path: string;
  size: number;
  contentType: string;
}

export const OWNER_COPY_REFUSED = 'OwnerCopyRefused';

export function createOwnerCopyActivities({ db, storage, copies }: ActivityDependencies) {
  const setting = (userId: string) => db.em.fork().findOne(WebDavSetting, { userId });
  return {
    /** The files to copy, or null when the room's owner has no WebDAV folder (then nothing is copied). */
    async planOwnerCopy(input: { recordingId: string; transcriptId?: string }): Promise<{ url: string; files: OwnerCopyFile[] } | null> {
      const em = db.em.fork();
      const recording = await em.findOneOrFail(Recording, input.recordingId, { populate: ['meeting.room'] });
      const room = recording.meeting?.room;
      const target = room ? await setting(room.ownerId) : null;
      if (!room || !target || recording.mediaDeleted) return null;
      const at = recording.recordedAt.toISOString().slice(0, 16).replace('T', ' ').replace(':', '.');
      const folder = `${room.name}/${at} ${recording.id.slice(0, 8)}`;
      const candidates: Array<{ key: string | null | undefined; name: string; contentType: string }> = [];
      if (recording.type === 'cloud') candidates.push({ key: recording.objectKey, name: 'recording.mp4', contentType: 'video/mp4' });
      const transcript = input.transcriptId ? await em.findOne(Transcript, input.transcriptId) : null;
      if (transcript) {
        candidates.push({ key: transcriptContentKey(transcript, 'transcript.vtt'), name: 'transcript.vtt', contentType: 'text/vtt; charset=utf-8' });
        candidates.push({ key: transcriptContentKey(transcript, 'transcript.txt'), name: 'transcript.txt', contentType: 'text/plain; charset=utf-8' });
        if (transcript.audioKey && !transcript.audioDeleted) candidates.push({ key: transcript.audioKey, name: 'audio.mp3', contentType: 'audio/mpeg' });
      }
      const files: OwnerCopyFile[] = [];
      for (const c of candidates) {
        const head = c.key ? await storage.head(c.key) : null;
        if (head) files.push({ key: head.key, path: `${folder}/${c.name}`, size: head.size, contentType: c.contentType });
      }
      return { url: target.url, files };
    },

    /** One file, streamed from our storage; a refusal (credentials, full, no such folder) is final, the rest retried. */
    async copyFileToOwner(input: { recordingId: string; file: OwnerCopyFile }): Promise<'sent' | 'already-there' | 'not-configured'> {
      const recording = await db.em.fork().findOneOrFail(Recording, input.recordingId, { populate: ['meeting.room'] });
      const target = recording.meeting ? await setting(recording.meeting.room.ownerId) : null;
      // Removed since the plan: no more copies.
      if (!target) return 'not-configured';
      const password = openSecret(copies!.appSecret, WEBDAV_PASSWORD, target.passwordSealed);
      try {
        return await uploadToWebDav({ url: target.url, username: target.username, password }, {
          path: input.file.path, size: input.file.size, contentType: input.file.contentType,
          body: async () => (await storage.get(input.file.key)).body,
          onProgress: (sent) => Context.current().heartbeat({ sent, of: input.file.size }),
        });
      } catch (error) {
        if (error instanceof WebDavError && !error.retryable) throw ApplicationFailure.nonRetryable(error.message, OWNER_COPY_REFUSED, { status: error.status });
        throw error;
      }
    },

    async recordOwnerCopy(input: { recordingId: string; outcome: OwnerCopyOutcome }): Promise<void> {
      await db.em.fork().nativeUpdate(Recording, { id: input.recordingId }, { ownerCopy: input.outcome });
    },
  };
}
