// Meetings: every meeting of your rooms, newest first, ten a page, filtered by room and by whether it is
// still open; each names who took part and links to its transcripts (by title once made).
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client.ts';
import type { MeetingFilters, MeetingSummary, Page } from '../api/types.ts';
import { Link } from '../router.tsx';
import { MEETING_LIST_STATUS_LABELS, MEETING_LIST_STATUSES } from '../../../shared/meeting-list-statuses.ts';
import { Empty, ErrorNote, Loading, PageHeading, Pager, SelectField, TextField, replaceListQuery, useListFilters, formatDate } from '../components/ui.tsx';

const PAGE_SIZE = 10;
// Exactly the statuses the API's filter accepts (one list for both).
const STATUSES: ReadonlyArray<readonly [NonNullable<MeetingFilters['status']>, string]> = [['', 'Any'], ...MEETING_LIST_STATUSES.map((status) => [status, MEETING_LIST_STATUS_LABELS[status]] as const)];
const TRANSCRIPT_LABELS: Record<string, string> = { idle: 'waiting', processing: 'being made', ended: 'ready', error: 'failed' };

function readQuery(): { filters: Required<MeetingFilters>; offset: number } {
  const q = new URLSearchParams(location.search);
  const status = q.get('status');
  return {
    filters: { room: q.get('room') ?? '', status: MEETING_LIST_STATUSES.find((s) => s === status) ?? '' },
    offset: Math.max(0, Number(q.get('offset') ?? 0) || 0),
  };
}

export function MeetingsPage() {
  const initial = useRef(readQuery()).current;
  const { filters, setFilters, applied, offset, setOffset, submit: filter, clear } = useListFilters(initial);
  const [page, setPage] = useState<Page<MeetingSummary> | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setPage(await api.listMeetings({ limit: PAGE_SIZE, offset, room: applied.room || undefined, status: applied.status || undefined }));
    } catch (e) {
      setError(e);
    }
    replaceListQuery('/meetings', applied, offset);
  }, [applied, offset]);
  useEffect(() => void load(), [load]);

  const field = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);
  const from = page && page.total ? page.offset + 1 : 0;
  const to = page ? page.offset + page.items.length : 0;
  return (
    <>
      <PageHeading title="Meetings" />
      <form className="card filters filters-2" onSubmit={filter} aria-label="Filter meetings">
        <TextField label="Room" value={filters.room} onChange={(e) => setFilters({ ...filters, room: e.target.value })} placeholder="any room" error={field('room')} />
        <SelectField label="Status" value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value as typeof filters.status })} options={STATUSES} error={field('status')} />
        <div className="actions">
          <button type="submit" className="button-primary">Filter</button>
          <button type="button" onClick={() => clear({ room: '', status: '' })}>Clear</button>
        </div>
      </form>
      <ErrorNote error={error} title="Could not load the meetings" />
      {!page && !error && <Loading what="meetings" />}
      {page && page.total === 0 && (
        <Empty>{applied.room || applied.status ? 'No meeting matches these filters.' : 'No meetings yet. Open one of your rooms to hold the first.'}</Empty>
      )}
      {page && page.items.length > 0 && (
        <>
          <div className="table-scroll">
            <table className="data meetings">
              <caption className="visually-hidden">Meetings {from} to {to} of {page.total}</caption>
              <thead>
                <tr><th scope="col">Started</th><th scope="col">Room</th><th scope="col">Participants</th><th scope="col">Status</th><th scope="col">Transcripts</th></tr>
              </thead>
              <tbody>
                {page.items.map((m) => <MeetingRow key={m.id} meeting={m} />)}
              </tbody>
            </table>
          </div>
          <Pager label="Pages of meetings" page={page} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
    </>
  );
}

function MeetingRow({ meeting: m }: { meeting: MeetingSummary }) {
  const recorded = m.recordings.length > 0;
  return (
    <tr aria-label={`Meeting in ${m.roomName} started ${formatDate(m.startDate)}`}>
      <td data-label="Started">{m.transcripts.length ? <Link href={`/meetings/${m.id}`} aria-label={`Timeline of the meeting started ${formatDate(m.startDate)}`}>{formatDate(m.startDate)}</Link> : formatDate(m.startDate)}</td>
      <td data-label="Room"><Link href={`/${m.roomName}`}>{m.roomName}</Link></td>
      <td data-label="Participants" className="wrap-anywhere">{m.participants.length ? m.participants.join(', ') : <span className="muted">nobody joined</span>}</td>
      <td data-label="Status">
        {m.active ? <span className="badge badge-recording">open</span> : <span className="badge">ended {m.endedAt ? formatDate(m.endedAt) : ''}</span>}
      </td>
      <td data-label="Transcripts">
        {m.transcripts.length ? (
          <ul className="plain-list">
            {m.transcripts.map((t) => (
              <li key={t.id}>
                <Link href={`/transcripts/${t.id}`}>{t.title ?? 'Transcript'}</Link>
                {t.status !== 'ended' && <span className="muted"> ({TRANSCRIPT_LABELS[t.status] ?? t.status})</span>}
              </li>
            ))}
          </ul>
        ) : <span className="muted">{recorded ? 'no transcript' : 'not recorded'}</span>}
      </td>
    </tr>
  );
}
