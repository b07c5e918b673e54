// Where a corrected transcript is kept, and how a correction is committed without half-writing it. A correction's
// files (segments.json and every export) are written under `transcripts/<id>/revisions/<editId>/` first, where no
// reader looks yet; then one transaction advances the transcript's revision (only if it is still the one the
// correction was based on), points the row at those files, keeps the edit and rebuilds the search index. A stale
// correction changes nothing and its files are removed again.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { Transcript} from '../db/entities.ts';
import { TranscriptEdit } from '../db/entities.ts';
import { readObjectJson, type ObjectStorage } from '../storage/object-storage.ts';
import { transcriptContentKey } from '../recordings/keys.ts';
import { contentOf, type Correction, type TranscriptContent } from './corrections.ts';
import { transcriptFiles } from './exports.ts';
import { speakerName } from './merge.ts';
import { indexTranscript } from './search-index.ts';
import type { Segment } from './words.ts';

/** The transcript's revision moved on since the one the correction was based on. */
export class StaleRevisionError extends Error {
  readonly basedOn: number;
  constructor(basedOn: number) {
    super(`the transcript is no longer at revision ${basedOn}`);
    this.basedOn = basedOn;
    this.name = 'StaleRevisionError';
  }
}

/** The transcript's current content: its current segments.json and its participants. */
export async function readContent(storage: ObjectStorage, transcript: Pick<Transcript, 'id' | 'contentVersion' | 'participants'>): Promise<TranscriptContent> {
  return contentOf(await readObjectJson<Segment[]>(storage, transcriptContentKey(transcript, 'segments.json')), transcript.participants);
}

export interface CommitOptions {
  /** The revision the caller saw. */
  basedOn: number;
  userId: string | null;
  revertOf?: string | null;
}

/** Commits a correction (see the top of this file); the edit kept. Throws StaleRevisionError when `basedOn` is not current. */
export async function commitCorrection(
  em: EntityManager,
  storage: ObjectStorage,
  transcript: Pick<Transcript, 'id' | 'durationSeconds'> & { recording: { id: string } },
  correction: Correction,
  options: CommitOptions,
): Promise<TranscriptEdit> {
  const editId = randomUUID();
  const { segments, participants } = correction.content;
  const names = new Map(participants.map((p) => [p.speaker, p.name]));
  const meta = { id: transcript.id, recordingId: transcript.recording.id, durationSeconds: Number(transcript.durationSeconds ?? 0), speakers: participants.map((p) => ({ index: p.speaker, name: speakerName(names, p.speaker) })) };
  const files = transcriptFiles(meta, segments);
  const keys = files.map(({ file }) => transcriptContentKey({ id: transcript.id, contentVersion: editId }, file));
  await Promise.all(files.map(({ body, contentType }, i) => storage.put(keys[i]!, body, { contentType })));
  try {
    return await em.transactional(async (tx) => {
      const result = await tx.getConnection().execute<{ affectedRows: number }>(
        `update transcript set revision = revision + 1, content_version = ?, participants = ?::jsonb, webvtt = ?, version = version + 1, updated_at = now()
         where id = ? and revision = ? and status = 'ended'`,
        [editId, JSON.stringify(participants), files.find((f) => f.file === 'transcript.vtt')!.body, transcript.id, options.basedOn],
        'run',
        tx.getTransactionContext(),
      );
      if (result.affectedRows !== 1) throw new StaleRevisionError(options.basedOn);
      const edit = {
        id: editId, transcript: transcript.id, revision: options.basedOn + 1, kind: correction.kind, summary: correction.summary.slice(0, 512),
        userId: options.userId, before: correction.before, after: correction.after, revertOf: options.revertOf ?? null, at: new Date(),
      };
      // insert() skips onCreate hooks: the id and time are given here.
      await tx.insert(TranscriptEdit, edit);
      await indexTranscript(tx, storage, transcript.id);
      return tx.findOneOrFail(TranscriptEdit, editId);
    });
  } catch (error) {
    await Promise.allSettled(keys.map((key) => storage.delete(key)));
    throw error;
  }
}
