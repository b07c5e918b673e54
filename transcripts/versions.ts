// Versions of a transcript (issue 14 item 4): a rerun of a recording's pipeline (another engine, model or language)
// replaces its transcript's content, and the content it replaces is kept as a version first: its files copied under
// `transcripts/<id>/versions/<number>/` and a TranscriptVersion row with what made it. The transcript is the current
// version (numbered after the kept ones); the corrections made to a version are the transcript's edits up to the
// revision it was kept at. Exactly one pipeline run per recording at a time is the recording workflow's own rule.
// Which version is shown is chosen by restoring one: it becomes the current content again, the one it replaces kept
// like a rerun's, so every switch can be undone by another.
import { randomUUID } from 'node:crypto';
import { LockMode, type EntityManager } from '@mikro-orm/core';
import { diffWords } from 'diff';
import { Transcript, TranscriptVersion } from '../db/entities.ts';
import { ObjectNotFoundError, readObjectJson, readObjectText, type ObjectStorage } from '../storage/object-storage.ts';
import { transcriptContentKey, transcriptVersionKey } from '../recordings/keys.ts';
import { TRANSCRIPT_CONTENT_FILES } from './exports.ts';
import { StaleRevisionError } from './revisions.ts';
import { indexTranscript } from './search-index.ts';
import type { Segment } from './words.ts';

/**
 * Keeps the recording's transcript content as a version before a rerun writes again; null when there is nothing to
 * keep (no transcript yet, or one that never ended). Idempotent: a retry after the files or the row were written
 * keeps it once (the same content is known by when it was made and its revision). The transcript's row is locked
 * meanwhile, so a restore (below) and a rerun never number two versions alike.
 */
export function keepCurrentVersion(em: EntityManager, storage: ObjectStorage, recordingId: string): Promise<number | null> {
  return em.transactional(async (tx) => {
    const transcript = await tx.findOne(Transcript, { recording: recordingId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!transcript || transcript.status !== 'ended') return null;
    return keepLocked(tx, storage, transcript);
  });
}

/** keepCurrentVersion with the transcript's row locked by the caller's transaction. */
async function keepLocked(tx: EntityManager, storage: ObjectStorage, transcript: Transcript): Promise<number> {
  const kept = await tx.findOne(TranscriptVersion, { transcript: transcript.id, madeAt: transcript.updatedAt, revision: transcript.revision });
  if (kept) return kept.number;
  const last = await tx.findOne(TranscriptVersion, { transcript: transcript.id }, { orderBy: { number: 'desc' } });
  const number = (last?.number ?? 0) + 1;
  await copyContent(storage, (file) => transcriptContentKey(transcript, file), (file) => transcriptVersionKey(transcript.id, number, file));
  // insert() skips onCreate hooks: the id and time are given here.
  await tx.insert(TranscriptVersion, {
    id: randomUUID(), createdAt: new Date(), transcript: transcript.id, number, madeAt: transcript.updatedAt, speechEngine: transcript.speechEngine ?? null, summaryEngine: transcript.summaryEngine ?? null,
    language: transcript.language, title: transcript.title ?? null, shortSummary: transcript.shortSummary ?? null, longSummary: transcript.longSummary ?? null,
    topics: transcript.topics ?? null, participants: transcript.participants ?? null, durationSeconds: transcript.durationSeconds ?? null, revision: transcript.revision,
    restoredFrom: transcript.restoredFrom ?? null,
  });
  return number;
}

/** Copies a transcript's content files (segments.json and the exports) from one place to another. */
async function copyContent(storage: ObjectStorage, from: (file: string) => string, to: (file: string) => string): Promise<void> {
  for (const file of TRANSCRIPT_CONTENT_FILES) {
    let object;
    try {
      object = await storage.get(from(file));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) continue; // an export older transcripts never had
      throw error;
    }
    await storage.put(to(file), object.body, { size: object.size, ...(object.contentType && { contentType: object.contentType }) });
  }
}

/** Why a version cannot be restored now (the API answers `status` with `code`). */
export class RestoreRefusedError extends Error {
  readonly status: 404 | 409;
  readonly code: string;
  constructor(status: 404 | 409, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.name = 'RestoreRefusedError';
  }
}

/**
 * Brings a kept version back as the one the transcript shows (and exports, searches and is corrected from): the
 * current content is kept as a version first, then the chosen one's files are copied to a new content folder and the
 * transcript's row takes its words, speakers, title and summaries. Nothing is lost, so switching is always possible
 * again; the transcript's revision advances (a correction based on the content before is stale, and its earlier edits
 * are no longer revertible, as after a rerun). Action items stay as people left them. One transaction with the row
 * locked; refused while the recording is being processed (the transcript has not ended). Throws StaleRevisionError
 * when `basedOn` is not the current revision.
 */
export async function restoreVersion(em: EntityManager, storage: ObjectStorage, transcriptId: string, number: number, basedOn: number): Promise<{ kept: number; current: number; revision: number }> {
  const contentVersion = randomUUID();
  const keyOf = (file: string) => transcriptContentKey({ id: transcriptId, contentVersion }, file);
  try {
    return await em.transactional(async (tx) => {
      const transcript = await tx.findOneOrFail(Transcript, transcriptId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (transcript.status !== 'ended') throw new RestoreRefusedError(409, 'transcript_not_ready', `The transcript is ${transcript.status}; a version can be restored once it has ended`);
      if (transcript.revision !== basedOn) throw new StaleRevisionError(basedOn);
      const version = await tx.findOne(TranscriptVersion, { transcript: transcriptId, number });
      if (!version) {
        const current = ((await tx.findOne(TranscriptVersion, { transcript: transcriptId }, { orderBy: { number: 'desc' } }))?.number ?? 0) + 1;
        if (number === current) throw new RestoreRefusedError(409, 'version_current', `Version ${number} is the one the transcript shows already`);
        throw new RestoreRefusedError(404, 'not_found', `Version ${number} of this transcript was not found`);
      }
      const kept = await keepLocked(tx, storage, transcript);
      await copyContent(storage, (file) => transcriptVersionKey(transcriptId, number, file), keyOf);
      const webvtt = await readObjectText(storage, keyOf('transcript.vtt')).catch((error: unknown) => {
        if (error instanceof ObjectNotFoundError) return transcript.webvtt ?? null;
        throw error;
      });
      tx.assign(transcript, {
        contentVersion, restoredFrom: number, revision: transcript.revision + 1, webvtt, speechEngine: version.speechEngine ?? null, summaryEngine: version.summaryEngine ?? null,
        language: version.language, title: version.title ?? null, shortSummary: version.shortSummary ?? null, longSummary: version.longSummary ?? null,
        topics: version.topics ?? null, participants: version.participants ?? null, durationSeconds: version.durationSeconds ?? null, updatedAt: new Date(),
      });
      await tx.flush();
      await indexTranscript(tx, storage, transcriptId);
      return { kept, current: kept + 1, revision: transcript.revision };
    });
  } catch (error) {
    await Promise.allSettled(TRANSCRIPT_CONTENT_FILES.map((file) => storage.delete(keyOf(file))));
    throw error;
  }
}

/** One version as the API shows it: the kept ones from their rows, the current one from the transcript. */
export interface VersionView {
  number: number;
  current: boolean;
  madeAt: string;
  speechEngine: string | null;
  summaryEngine: string | null;
  language: string;
  title: string | null;
  shortSummary: string | null;
  /** The transcript's revision it was kept at (the current one: its revision now). */
  revision: number;
  /** The version it is a restored copy of (restoreVersion), if it is one. */
  restoredFrom: number | null;
}

export async function listVersions(em: EntityManager, transcript: Transcript): Promise<VersionView[]> {
  const kept = await em.find(TranscriptVersion, { transcript: transcript.id }, { orderBy: { number: 'asc' } });
  const view = (v: Transcript | TranscriptVersion, number: number, current: boolean): VersionView => ({
    number, current, madeAt: ('madeAt' in v ? v.madeAt : v.updatedAt).toISOString(), speechEngine: v.speechEngine ?? null, summaryEngine: v.summaryEngine ?? null,
    language: v.language, title: v.title ?? null, shortSummary: v.shortSummary ?? null, revision: v.revision, restoredFrom: v.restoredFrom ?? null,
  });
  return [...kept.map((v) => view(v, v.number, false)), view(transcript, (kept.at(-1)?.number ?? 0) + 1, true)];
}

/** A version's turns (one of listVersions): the kept files, or the transcript's current ones. */
export function versionSegments(storage: ObjectStorage, transcript: Transcript, version: VersionView): Promise<Segment[]> {
  const key = version.current ? transcriptContentKey(transcript, 'segments.json') : transcriptVersionKey(transcript.id, version.number, 'segments.json');
  return readObjectJson<Segment[]>(storage, key);
}

/** What changed from one version's words to another's: runs of words kept, removed and added, with who said them. */
export interface VersionChanges {
  parts: Array<{ change: 'same' | 'removed' | 'added'; text: string }>;
  wordsRemoved: number;
  wordsAdded: number;
}

/** Each turn as a line `Speaker: text`, so a renamed speaker or a moved turn shows as changed words too. */
export function compareVersions(from: readonly Segment[], to: readonly Segment[]): VersionChanges {
  const lines = (segments: readonly Segment[]) => segments.map((s) => `${s.speakerName}: ${s.text.trim()}`).join('\n');
  const parts = diffWords(lines(from), lines(to)).map((d) => ({ change: d.added ? 'added' as const : d.removed ? 'removed' as const : 'same' as const, text: d.value }));
  const words = (change: 'added' | 'removed') => parts.filter((p) => p.change === change).reduce((n, p) => n + (p.text.match(/\S+/g)?.length ?? 0), 0);
  return { parts, wordsRemoved: words('removed'), wordsAdded: words('added') };
}
