// Search across the transcripts a caller may see (the list's rule, api/access.ts): what was said, by whom,
// titles, summaries, topics and action items, ranked by PostgreSQL's full-text rank, with the matched words
// marked in a snippet and each hit's moment, so that the page can play from there (`?t=<seconds>`). The index is
// transcripts/search-index.ts's; only ended transcripts of live (not deleted) recordings are found.
import { z } from 'zod';
import { PASSAGE_KINDS, Transcript } from '../db/entities.ts';
import { SIMPLE_TEXT_CONFIG, textSearchConfig } from '../transcripts/search-index.ts';
import { visibleTranscriptsWhere, rules } from './access.ts';
import { endpoint } from './endpoint.ts';
import { pageQuerySchema } from './rooms.ts';

const searchQuerySchema = pageQuerySchema.extend({
  q: z.string().trim().min(1, 'say what to look for').max(256),
  room: z.string().min(1).max(256).optional().describe('Only this room\'s transcripts (the room\'s name)'),
  speaker: z.string().trim().min(1).max(256).optional().describe('Only what this speaker said (the name as shown, any case)'),
  from: z.iso.datetime({ offset: true }).optional().describe('Recorded at or after this instant'),
  to: z.iso.datetime({ offset: true }).optional().describe('Recorded before this instant'),
  limit: z.coerce.number().int().min(1).max(50).default(20),
}).refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: '`from` must be before `to`', path: ['from'] });

/**
 * Passages ranked at most: a word said in a large share of every meeting (hundreds of thousands of passages)
 * is ranked among the first this many the index finds, so that its answer costs what a rare word's does.
 */
export const SEARCH_CANDIDATES = 2000;
const SEARCH_CANDIDATES_TEXT = SEARCH_CANDIDATES.toLocaleString('en');

const snippetPartSchema = z.object({ text: z.string(), match: z.boolean() });
const hitSchema = z.object({
  transcriptId: z.uuid(),
  recordingId: z.string(),
  title: z.string().nullable(),
  roomName: z.string().nullable(),
  recordedAt: z.iso.datetime(),
  kind: z.enum(PASSAGE_KINDS).describe('Where the words are: a speaker turn, the title, the summary, a topic or an action item'),
  speakerName: z.string().nullable(),
  start: z.number().nullable().describe('Seconds from the recording\'s start (turns and topics)'),
  end: z.number().nullable(),
  snippet: z.array(snippetPartSchema).describe('The passage around the match, the matched words marked'),
  rank: z.number(),
  link: z.string().describe('The transcript page at this moment'),
});
const searchAnswerSchema = z.object({
  query: z.string(),
  items: z.array(hitSchema),
  total: z.number().describe(`Passages found, at most ${SEARCH_CANDIDATES_TEXT}`),
  totalCapped: z.boolean().describe(`More than ${SEARCH_CANDIDATES_TEXT} passages matched: the first ${SEARCH_CANDIDATES_TEXT} found (in the index's order) are ranked; more words or a filter narrow it`),
  limit: z.number(),
  offset: z.number(),
  hasMore: z.boolean(),
});

/** Words shown around a hit's first matched word in its snippet, and how many of them before it. */
const SNIPPET_WORDS = 30;
const SNIPPET_WORDS_BEFORE = 8;

interface Row {
  transcript_id: string;
  recording_id: string;
  title: string | null;
  room_name: string | null;
  recorded_at: Date | string;
  kind: (typeof PASSAGE_KINDS)[number];
  speaker_name: string | null;
  start_seconds: number | null;
  end_seconds: number | null;
  rank: number;
  total: string | number;
  /** ts_debug's tokens of the passage: [token, lexemes] (null lexemes: space and punctuation), in order. */
  tokens: Array<[string, string[] | null]>;
  query_text: string;
}

export const searchEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/search',
    summary: 'Search what was said across the transcripts you may see, best match first',
    description: 'Words in any order; "quoted phrases"; `-word` excludes; `or` between alternatives (PostgreSQL websearch syntax, '
      + 'stemmed in the transcripts\' language). Filters: room, speaker, recording date.',
    tag: 'transcripts',
    access: rules.signedIn,
    query: searchQuerySchema,
    responses: { 200: { description: 'A page of hits', schema: searchAnswerSchema } },
    async handler(ctx, { query }) {
      const { em, services } = ctx.state;
      const visible = em.createQueryBuilder(Transcript, 't').select('t.id').where({
        $and: [
          await visibleTranscriptsWhere(ctx),
          { status: 'ended' },
          ...(query.room ? [{ recording: { meeting: { room: { name: query.room } } } }] : []),
          ...(query.from ? [{ recording: { recordedAt: { $gte: new Date(query.from) } } }] : []),
          ...(query.to ? [{ recording: { recordedAt: { $lt: new Date(query.to) } } }] : []),
        ],
      });
      const configs = [...new Set([textSearchConfig(services.config.transcription.language), SIMPLE_TEXT_CONFIG])];
      // The query as an expression of its parameters (not a CTE's column), so that the planner sees how common its
      // words are; the GIN index finds the passages (a speaker's name is in their vectors too, so the index narrows to them).
      const tsquery = configs.map(() => 'websearch_to_tsquery(?::regconfig, ?)').join(' || ');
      const tsqueryParams = configs.flatMap((config) => [config, query.q]);
      const rows: Row[] = await em.getConnection().execute(
        `with candidates as materialized (
          select p.transcript_id, p.kind, p.position, p.speaker_name, p.start_seconds, p.end_seconds, p.text, p.text_config, p.search
          from transcript_passage p
          where p.search @@ (${tsquery})
            ${query.speaker ? "and p.search @@ plainto_tsquery('simple', ?) and lower(p.speaker_name) = lower(?)" : ''}
            and p.transcript_id in (${visible.getQuery()})
          limit ${SEARCH_CANDIDATES + 1}
        ),
        hits as (
          select c.*, ts_rank_cd(c.search, (${tsquery})) as rank, count(*) over () as total
          from candidates c
          order by rank desc, c.transcript_id, c.kind, c.position
          limit ? offset ?
        )
        select h.transcript_id, r.id as recording_id, t.title, room.name as room_name, r.recorded_at, h.kind, h.speaker_name,
          h.start_seconds, h.end_seconds, h.rank, h.total,
          (select json_agg(json_build_array(d.token, d.lexemes)) from ts_debug(h.text_config::regconfig, h.text) d) as tokens,
          (${tsquery})::text as query_text
        from hits h
          join transcript t on t.id = h.transcript_id
          join recording r on r.id = t.recording_id
          left join meeting m on m.id = r.meeting_id
          left join room on room.id = m.room_id
        order by h.rank desc, h.transcript_id, h.kind, h.position`,
        [...tsqueryParams, ...(query.speaker ? [query.speaker, query.speaker] : []), ...visible.getParams(), ...tsqueryParams, query.limit, query.offset, ...tsqueryParams],
      );
      const found = rows.length ? Number(rows[0]!.total) : 0;
      const total = Math.min(found, SEARCH_CANDIDATES);
      ctx.body = {
        query: query.q,
        items: rows.map((row) => {
          const start = row.start_seconds === null ? null : Number(row.start_seconds);
          return {
            transcriptId: row.transcript_id,
            recordingId: row.recording_id,
            title: row.title,
            roomName: row.room_name,
            recordedAt: new Date(row.recorded_at).toISOString(),
            kind: row.kind,
            speakerName: row.speaker_name,
            start,
            end: row.end_seconds === null ? null : Number(row.end_seconds),
            snippet: snippetParts(row.tokens, queryLexemes(row.query_text)),
            rank: Number(row.rank),
            link: `/transcripts/${row.transcript_id}${start === null ? '' : `?t=${Math.floor(start)}`}`,
          };
        }),
        total,
        limit: query.limit,
        offset: query.offset,
        hasMore: query.offset + rows.length < total,
        totalCapped: found > SEARCH_CANDIDATES,
      };
    },
  }),
];

/** The words the query looks for (its negated ones left out), from PostgreSQL's text of the tsquery: 'budget' & !'april'. */
export function queryLexemes(queryText: string): Set<string> {
  const lexemes = new Set<string>();
  for (const [, negated, lexeme] of queryText.matchAll(/(!?)\s*'((?:[^']|'')+)'/g)) if (!negated) lexemes.add(lexeme!.replaceAll("''", "'"));
  return lexemes;
}

/**
 * A snippet of the passage exactly as written (PostgreSQL's ts_headline would drop what looks like markup and
 * trailing punctuation): the words around the first match, matched words flagged as the index saw them
 * (stemmed, so "budgets" marks "budget"), cut with an ellipsis where the passage goes on.
 */
export function snippetParts(tokens: ReadonlyArray<readonly [string, string[] | null]>, lexemes: ReadonlySet<string>): Array<{ text: string; match: boolean }> {
  const matched = tokens.map(([, found]) => !!found?.some((l) => lexemes.has(l)));
  const wordAt = tokens.flatMap(([, found], i) => (found ? [i] : []));
  const firstWord = Math.max(0, wordAt.findIndex((i) => matched[i]));
  const fromWord = Math.max(0, Math.min(firstWord - SNIPPET_WORDS_BEFORE, wordAt.length - SNIPPET_WORDS));
  const from = fromWord === 0 ? 0 : wordAt[fromWord]!;
  const lastWord = fromWord + SNIPPET_WORDS;
  const to = lastWord >= wordAt.length ? tokens.length : wordAt[lastWord]!;
  const parts: Array<{ text: string; match: boolean }> = [];
  const push = (text: string, match: boolean) => {
    const last = parts.at(-1);
    if (last && last.match === match && !match) last.text += text;
    else parts.push({ text, match });
  };
  if (from > 0) push('… ', false);
  for (let i = from; i < to; i++) push(tokens[i]![0], matched[i]!);
  if (to < tokens.length) push(' …', false);
  return parts;
}
