// Search: what was said across every transcript you may see (GET /v1/search), best match first, filtered by
// room, speaker and recording date; each hit shows its words with the matched ones marked and links to its
// moment in the transcript (`?t=<seconds>` plays from there). The address holds the query, so a search can be
// bookmarked, reloaded and shared with someone who may see the same transcripts.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client.ts';
import type { SearchAnswer, SearchHit } from '../api/types.ts';
import { Link } from '../router.tsx';
import { Empty, ErrorNote, Loading, PageHeading, Pager, TextField, formatDate, formatDuration, replaceListQuery, useListFilters } from '../components/ui.tsx';

const PAGE_SIZE = 10;
const KIND_LABELS: Record<SearchHit['kind'], string> = { turn: 'said', title: 'title', summary: 'summary', topic: 'topic', 'action-item': 'action item' };

interface Filters { q: string; room: string; speaker: string; from: string; to: string }

function readQuery(): { filters: Filters; offset: number } {
  const q = new URLSearchParams(location.search);
  const day = (name: string) => (/^\d{4}-\d{2}-\d{2}$/.test(q.get(name) ?? '') ? q.get(name)! : '');
  return {
    filters: { q: q.get('q') ?? '', room: q.get('room') ?? '', speaker: q.get('speaker') ?? '', from: day('from'), to: day('to') },
    offset: Math.max(0, Number(q.get('offset') ?? 0) || 0),
  };
}

/** A date field's day (YYYY-MM-DD, the browser's time zone) as the instant it starts; `after` days later. */
function dayStart(day: string, after = 0): string | undefined {
  if (!day) return undefined;
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d! + after).toISOString();
}

export function SearchPage() {
  const initial = useRef(readQuery()).current;
  const { filters, setFilters, applied, offset, setOffset, submit, clear } = useListFilters(initial);
  const [answer, setAnswer] = useState<SearchAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const query = applied.q.trim();

  const load = useCallback(async (signal: AbortSignal) => {
    replaceListQuery('/search', applied, offset);
    setError(null);
    if (!query) return setAnswer(null);
    try {
      setAnswer(await api.search({
        q: query, limit: PAGE_SIZE, offset, room: applied.room || undefined, speaker: applied.speaker || undefined,
        // The "to" day is included: the API's `to` is the instant after it.
        from: dayStart(applied.from), to: dayStart(applied.to, 1),
      }, signal));
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError(e);
    }
  }, [applied, offset, query]);
  useEffect(() => {
    const abort = new AbortController();
    void load(abort.signal);
    return () => abort.abort();
  }, [load]);

  const field = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);
  const set = (name: keyof Filters) => (e: { target: { value: string } }) => setFilters({ ...filters, [name]: e.target.value });
  const filtered = Boolean(applied.room || applied.speaker || applied.from || applied.to);
  return (
    <>
      <PageHeading title="Search" />
      <form className="card search-form" onSubmit={submit} role="search" aria-label="Search transcripts">
        <TextField label="What was said" type="search" value={filters.q} onChange={set('q')} placeholder='words, "a phrase", -excluded' error={field('q')}
          hint="Words in any order; quotes for a phrase; -word leaves out; or between alternatives. Titles, summaries, topics and speaker names are searched too." />
        <div className="filters">
          <TextField label="Room" value={filters.room} onChange={set('room')} placeholder="any room" error={field('room')} />
          <TextField label="Speaker" value={filters.speaker} onChange={set('speaker')} placeholder="anyone" error={field('speaker')} />
          <TextField label="Recorded from" type="date" value={filters.from} onChange={set('from')} error={field('from')} />
          <TextField label="Recorded until (inclusive)" type="date" value={filters.to} onChange={set('to')} error={field('to')} />
          <div className="actions">
            <button type="submit" className="button-primary">Search</button>
            <button type="button" onClick={() => clear({ q: filters.q, room: '', speaker: '', from: '', to: '' })}>Clear filters</button>
          </div>
        </div>
      </form>
      <ErrorNote error={error} title="Could not search" />
      {!query && <Empty>Type what you are looking for: a word, a name, a phrase someone said.</Empty>}
      {query && !answer && !error && <Loading what="results" />}
      {answer && answer.total === 0 && <Empty>Nothing found for “{answer.query}”{filtered ? ' with these filters' : ''}.</Empty>}
      {answer && answer.items.length > 0 && (
        <>
          {answer.totalCapped && (
            <p className="note">“{answer.query}” was said very often: these are the best of the first {answer.total.toLocaleString()} passages found. More words, a room, a speaker or dates narrow it.</p>
          )}
          <ol className="search-hits" aria-label={`Results for ${answer.query}`}>
            {answer.items.map((hit, i) => <HitItem key={`${hit.transcriptId}-${i}`} hit={hit} />)}
          </ol>
          <Pager label="Pages of results" page={answer} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
    </>
  );
}

function HitItem({ hit }: { hit: SearchHit }) {
  const where = [hit.roomName, formatDate(hit.recordedAt)].filter(Boolean).join(' · ');
  const moment = hit.start === null ? '' : ` at ${formatDuration(hit.start)}`;
  return (
    <li className="card search-hit">
      <p className="search-hit-title">
        <Link href={hit.link}>{hit.title ?? 'Untitled transcript'}{moment && <span className="visually-hidden">{moment}</span>}</Link>
      </p>
      <p className="muted search-hit-meta">
        {where} · {KIND_LABELS[hit.kind]}
        {hit.kind === 'turn' && hit.speakerName && <> by <strong>{hit.speakerName}</strong></>}
        {hit.start !== null && <> at {formatDuration(hit.start)}</>}
      </p>
      <blockquote className="search-snippet">
        {hit.snippet.map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
      </blockquote>
    </li>
  );
}
