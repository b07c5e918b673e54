// The full-text index of a transcript: what search finds (api/search.ts). One passage per speaker turn (with
// its speaker and its moment), and one for the title, the summary, each topic and each action item. The
// vector is PostgreSQL's (to_tsvector), made with the transcript language's configuration so that "budgets"
// finds "budget"; titles weigh most, then summaries and topics, then what was said, then who said it.
import type { EntityManager } from '@mikro-orm/core';
import { Transcript, type PassageKind } from '../db/entities.ts';
import { readObjectJson, type ObjectStorage } from '../storage/object-storage.ts';
import { transcriptContentKey } from '../recordings/keys.ts';
import type { Segment } from './words.ts';
import { actionItemTexts } from './action-item-records.ts';

/** PostgreSQL's text-search configuration for a transcript language; `simple` (no stemming) for the rest. */
const TEXT_SEARCH_CONFIGS: Record<string, string> = {
  ar: 'arabic', ca: 'catalan', da: 'danish', de: 'german', el: 'greek', en: 'english', es: 'spanish', eu: 'basque',
  fi: 'finnish', fr: 'french', ga: 'irish', hi: 'hindi', hu: 'hungarian', hy: 'armenian', id: 'indonesian',
  it: 'italian', lt: 'lithuanian', ne: 'nepali', nl: 'dutch', no: 'norwegian', pt: 'portuguese', ro: 'romanian',
  ru: 'russian', sr: 'serbian', sv: 'swedish', ta: 'tamil', tr: 'turkish', yi: 'yiddish',
};
export const SIMPLE_TEXT_CONFIG = 'simple';

export function textSearchConfig(language: string | null | undefined): string {
  return TEXT_SEARCH_CONFIGS[(language ?? '').toLowerCase().split(/[-_]/)[0] ?? ''] ?? SIMPLE_TEXT_CONFIG;
}

interface Passage {
  kind: PassageKind;
  position: number;
  speakerName: string | null;
  startSeconds: number | null;
  endSeconds: number | null;
  text: string;
}

const WEIGHTS: Record<PassageKind, 'A' | 'B' | 'C'> = { title: 'A', summary: 'B', topic: 'B', 'action-item': 'B', turn: 'C' };

/** What of a transcript is searchable, in order. */
export function transcriptPassages(
  transcript: Pick<Transcript, 'title' | 'shortSummary' | 'longSummary' | 'topics' | 'actionItems'>,
  segments: readonly Pick<Segment, 'speakerName' | 'start' | 'end' | 'text'>[],
): Passage[] {
  const passages: Passage[] = [];
  const add = (kind: PassageKind, position: number, text: string | null | undefined, at?: { start: number; end: number; speakerName?: string }) => {
    const trimmed = text?.trim();
    if (!trimmed) return;
    passages.push({ kind, position, speakerName: at?.speakerName ?? null, startSeconds: at?.start ?? null, endSeconds: at?.end ?? null, text: trimmed });
  };
  add('title', 0, transcript.title);
  add('summary', 0, [transcript.shortSummary, transcript.longSummary].filter(Boolean).join('\n\n'));
  (transcript.topics ?? []).forEach((topic, i) => add('topic', i, `${topic.title}. ${topic.summary}`, topic));
  (transcript.actionItems ?? []).forEach((item, i) => add('action-item', i, item));
  segments.forEach((segment, i) => add('turn', i, segment.text, segment));
  return passages;
}

const ROWS_PER_INSERT = 400;

/** Replaces the transcript's passages in one transaction: a search sees the old index or the new, never half. */
export async function writeSearchIndex(em: EntityManager, transcriptId: string, language: string, passages: readonly Passage[]): Promise<void> {
  const config = textSearchConfig(language);
  await em.transactional(async (tx) => {
    const connection = tx.getConnection();
    await connection.execute('delete from transcript_passage where transcript_id = ?', [transcriptId], 'run', tx.getTransactionContext());
    for (let from = 0; from < passages.length; from += ROWS_PER_INSERT) {
      const rows = passages.slice(from, from + ROWS_PER_INSERT);
      const params: unknown[] = [];
      const values = rows.map((row) => {
        params.push(transcriptId, row.kind, row.position, row.speakerName, row.startSeconds, row.endSeconds, row.text, config, config, row.text, WEIGHTS[row.kind], row.speakerName ?? '');
        return `(?, ?, ?, ?, ?, ?, ?, ?, setweight(to_tsvector(?::regconfig, ?), ?::"char") || setweight(to_tsvector('simple', ?), 'D'))`;
      });
      await connection.execute(
        `insert into transcript_passage (transcript_id, kind, position, speaker_name, start_seconds, end_seconds, text, text_config, search) values ${values.join(', ')}`,
        params, 'run', tx.getTransactionContext(),
      );
    }
  });
}

/**
 * Indexes a transcript from what is stored (its row and its current segments.json: the pipeline's, or the last
 * correction's); the passages written. Inside a transaction, pass its EntityManager: the row is read through it.
 */
export async function indexTranscript(em: EntityManager, storage: ObjectStorage, transcriptId: string): Promise<number> {
  const transcript = await em.findOneOrFail(Transcript, transcriptId, { refresh: true });
  const segments = await readObjectJson<Segment[]>(storage, transcriptContentKey(transcript, 'segments.json'));
  const passages = transcriptPassages({ ...transcript, actionItems: await actionItemTexts(em, transcriptId) }, segments);
  await writeSearchIndex(em, transcriptId, transcript.language, passages);
  return passages.length;
}
