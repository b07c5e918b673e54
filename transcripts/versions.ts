// Versions of a transcript (issue 14 item 4): a rerun of a recording's pipeline (another engine, model or language)
// replaces its transcript's content, and the content it replaces is kept as a version first: its files copied under
// `transcripts/<id>/versions/<number>/` and a TranscriptVersion row with what made it. The transcript is the current
// version (numbered after the kept ones); the corrections made to a version are the transcript's edits up to the
// revision it was kept at. Exactly one pipeline run per recording at a time is the recording workflow's own rule.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { diffWords } from 'diff';
import { Transcript, TranscriptVersion } from '../db/entities.ts';
import { ObjectNotFoundError, readObjectJson, type ObjectStorage } from '../storage/object-storage.ts';
import { transcriptContentKey, transcriptVersionKey } from '../recordings/keys.ts';
import { TRANSCRIPT_CONTENT_FILES } from './exports.ts';
import type { Segment } from './words.ts';

/**
 * Keeps the recording's transcript content as a version before a rerun writes again; null when there is nothing to
 * keep (no transcript yet, or one that never ended). Idempotent: a retry after the files or the row were written
 * keeps it once (the same content is known by when it was made and its revision).
 */
export async function keepCurrentVersion(em: EntityManager, storage: ObjectStorage, recordingId: string): Promise<number | null> {
  const transcript = await em.findOne(Transcript, { recording: recordingId });
  if (!transcript || transcript.status !== 'ended') return null;
  const kept = await em.findOne(TranscriptVersion, { transcript: transcript.id, madeAt: transcript.updatedAt, revision: transcript.revision });
  if (kept) return kept.number;
  const last = await em.findOne(TranscriptVersion, { transcript: transcript.id }, { orderBy: { number: 'desc' } });
  const number = (last?.number ?? 0) + 1;
  for (const file of TRANSCRIPT_CONTENT_FILES) {
    let object;
    try {
      object = await storage.get(transcriptContentKey(transcript, file));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) continue; // an export older transcripts never had
      throw error;
    }
    await storage.put(transcriptVersionKey(transcript.id, number, file), object.body, { size: object.size, ...(object.contentType && { contentType: object.contentType }) });
  }
  // insert() skips onCreate hooks: the id and time are given here.
  await em.insert(TranscriptVersion, {
    id: randomUUID(), createdAt: new Date(), transcript: transcript.id, number, madeAt: transcript.updatedAt, speechEngine: transcript.speechEngine ?? null, summaryEngine: transcript.summaryEngine ?? null,
    language: transcript.language, title: transcript.title ?? null, shortSummary: transcript.shortSummary ?? null, longSummary: transcript.longSummary ?? null,
    topics: transcript.topics ?? null, participants: transcript.participants ?? null, durationSeconds: transcript.durationSeconds ?? null, revision: transcript.revision,
  });
  return number;
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
}

export async function listVersions(em: EntityManager, transcript: Transcript): Promise<VersionView[]> {
  const kept = await em.find(TranscriptVersion, { transcript: transcript.id }, { orderBy: { number: 'asc' } });
  const view = (v: Transcript | TranscriptVersion, number: number, current: boolean): VersionView => ({
    number, current, madeAt: ('madeAt' in v ? v.madeAt : v.updatedAt).toISOString(), speechEngine: v.speechEngine ?? null, summaryEngine: v.summaryEngine ?? null,
    language: v.language, title: v.title ?? null, shortSummary: v.shortSummary ?? null, revision: v.revision,
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
