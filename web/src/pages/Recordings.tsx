// Recordings: paginated, filtered by status, room and dates; each shows its meeting's title and who took
// part, links to its transcript, can be deleted
// (after confirming) and shows who opened it (the owner's access log).
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client.ts';
import type { AccessLogEntry, Page, Recording, RecordingFilters } from '../api/types.ts';
import { Link } from '../router.tsx';
import { RECORDING_STATUS_LABELS, RECORDING_STATUSES } from '../../../shared/recording-statuses.ts';
import { Empty, ErrorNote, Loading, PageHeading, Pager, SelectField, TextField, replaceListQuery, useListFilters, formatBytes, formatDate, formatDuration } from '../components/ui.tsx';

const PAGE_SIZE = 10;
// Exactly the statuses the API's filter accepts (one list for both).
const STATUSES: Array<[string, string]> = [['', 'Any status'], ...RECORDING_STATUSES.map((status) => [status, RECORDING_STATUS_LABELS[status]] as [string, string])];

function readQuery(): { filters: RecordingFilters; offset: number } {
  const q = new URLSearchParams(location.search);
  return {
    filters: { status: q.get('status') ?? '', room: q.get('room') ?? '', from: q.get('from') ?? '', to: q.get('to') ?? '' },
    offset: Math.max(0, Number(q.get('offset') ?? 0) || 0),
  };
}

export function RecordingsPage() {
  const initial = useRef(readQuery()).current;
  const { filters, setFilters, applied, offset, setOffset, submit: filter, clear } = useListFilters<RecordingFilters>(initial);
  const [page, setPage] = useState<Page<Recording> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<Recording | null>(null);
  const [openLog, setOpenLog] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const toIso = (day: string | undefined, end: boolean) => (day ? new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : undefined);
      setPage(await api.listRecordings({
        limit: PAGE_SIZE, offset, status: applied.status || undefined, room: applied.room || undefined, from: toIso(applied.from, false), to: toIso(applied.to, true),
      }));
    } catch (e) {
      setError(e);
    }
    replaceListQuery('/recordings', applied, offset);
  }, [applied, offset]);
  useEffect(() => void load(), [load]);


  const remove = async (recording: Recording) => {
    setConfirming(null);
    try {
      await api.deleteRecording(recording.id);
      setMessage(`The recording of ${recording.roomName} from ${formatDate(recording.recordedAt)} is being deleted.`);
      if (page && page.items.length === 1 && offset > 0) setOffset(Math.max(0, offset - PAGE_SIZE));
      else await load();
    } catch (e) {
      setError(e);
    }
  };

  const unavailable = error instanceof ApiError && error.status === 404;
  const from = page && page.total ? page.offset + 1 : 0;
  const to = page ? page.offset + page.items.length : 0;
  return (
    <>
      <PageHeading title="Recordings" />
      <form className="card filters" onSubmit={filter} aria-label="Filter recordings">
        <SelectField label="Status" value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })} options={STATUSES} />
        <TextField label="Room" value={filters.room} onChange={(e) => setFilters({ ...filters, room: e.target.value })} placeholder="any room" error={error instanceof ApiError ? error.field('room') : undefined} />
        <TextField label="From" type="date" value={filters.from} onChange={(e) => setFilters({ ...filters, from: e.target.value })} error={error instanceof ApiError ? error.field('from') : undefined} />
        <TextField label="To" type="date" value={filters.to} onChange={(e) => setFilters({ ...filters, to: e.target.value })} error={error instanceof ApiError ? error.field('to') : undefined} />
        <div className="actions">
          <button type="submit" className="button-primary">Filter</button>
          <button type="button" onClick={() => clear({ status: '', room: '', from: '', to: '' })}>Clear</button>
        </div>
      </form>
      {message && <p className="note" role="status">{message}</p>}
      {unavailable ? (
        <Empty>This server does not list recordings yet.</Empty>
      ) : (
        <ErrorNote error={error} title="Could not load the recordings" />
      )}
      {!page && !error && <Loading what="recordings" />}
      {page && page.total === 0 && (
        <Empty>{Object.values(applied).some(Boolean) ? 'No recording matches these filters.' : 'No recordings yet. Hold a meeting in a room that records, and it appears here.'}</Empty>
      )}
      {page && page.items.length > 0 && (
        <>
          <div className="table-scroll">
            <table className="recordings">
              <caption className="visually-hidden">Recordings {from} to {to} of {page.total}</caption>
              <thead>
                <tr><th scope="col">Date</th><th scope="col">Meeting</th><th scope="col">Room</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Size</th><th scope="col">Expires</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {page.items.map((r) => (
                  <RecordingRow key={r.id} recording={r} logOpen={openLog === r.id} onToggleLog={() => setOpenLog(openLog === r.id ? null : r.id)} onDelete={() => setConfirming(r)} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Pages of recordings" page={page} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
      {confirming && <ConfirmDelete recording={confirming} onCancel={() => setConfirming(null)} onConfirm={() => void remove(confirming)} />}
    </>
  );
}

function RecordingRow({ recording: r, logOpen, onToggleLog, onDelete }: { recording: Recording; logOpen: boolean; onToggleLog: () => void; onDelete: () => void }) {
  return (
    <>
      <tr>
        <td>{formatDate(r.recordedAt)}</td>
        <td className="meeting-cell">
          <span className="meeting-title">{r.title ?? <span className="muted">{r.transcriptId ? 'untitled' : 'no transcript yet'}</span>}</span>
          {r.participants.length > 0 && <span className="hint wrap-anywhere" aria-label="Participants">{r.participants.join(', ')}</span>}
        </td>
        <td><Link href={`/${r.roomName}`}>{r.roomName}</Link></td>
        <td>{r.type === 'raw-tracks' ? 'Audio tracks' : r.type === 'cloud' ? 'Video' : r.type}</td>
        <td>
          <span className={`badge badge-${r.status}`}>{RECORDING_STATUS_LABELS[r.status] ?? r.status}</span>
          {r.mediaDeleted && <span className="hint">Media deleted: a participant refused consent</span>}
          {r.ownerCopy && <span className="hint wrap-anywhere" title={r.ownerCopy.url}>{r.ownerCopy.status === 'copied' ? 'Copied to your folder' : `Not copied to your folder: ${r.ownerCopy.error ?? 'failed'}`}</span>}
        </td>
        <td>{formatDuration(r.durationSeconds)}</td>
        <td>{formatBytes(r.sizeBytes)}</td>
        <td title={r.expiresAt ? 'Deleted then by the room\'s retention policy' : 'No retention policy: kept until deleted'}>{r.expiresAt ? formatDate(r.expiresAt) : 'Kept'}</td>
        <td className="actions-cell">
          <div className="row-actions">
            {r.transcriptId && <Link href={`/transcripts/${r.transcriptId}`} className="button button-small">Transcript</Link>}
            <button type="button" className="button-small" aria-expanded={logOpen} onClick={onToggleLog}>Access log</button>
            <button type="button" className="button-small button-danger" onClick={onDelete} aria-label={`Delete the recording of ${r.roomName} from ${formatDate(r.recordedAt)}`}>Delete</button>
          </div>
        </td>
      </tr>
      {logOpen && (
        <tr className="log-row"><td colSpan={9}><AccessLog recordingId={r.id} /></td></tr>
      )}
    </>
  );
}

function AccessLog({ recordingId }: { recordingId: string }) {
  const [entries, setEntries] = useState<AccessLogEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.accessLog(recordingId).then((log) => setEntries(log.items), setError);
  }, [recordingId]);
  if (error) return <ErrorNote error={error} title="Could not load the access log" />;
  if (!entries) return <Loading what="the access log" />;
  if (entries.length === 0) return <p className="muted">Nobody has opened it yet.</p>;
  return (
    <ul className="plain-list access-log" aria-label="Access log">
      {entries.map((e, i) => (
        <li key={i}>{formatDate(e.at)} — {e.userEmail ?? 'someone with a public link'}: {e.action}{e.detail ? ` (${e.detail})` : ''}</li>
      ))}
    </ul>
  );
}

function ConfirmDelete({ recording, onCancel, onConfirm }: { recording: Recording; onCancel: () => void; onConfirm: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="confirm-title" onCancel={onCancel}>
      <h2 id="confirm-title">Delete this recording?</h2>
      <p>The recording of <strong>{recording.roomName}</strong> from {formatDate(recording.recordedAt)} and its media are deleted for good. Its transcript text is kept.</p>
      <div className="actions">
        <button type="button" className="button-danger" onClick={onConfirm}>Delete recording</button>
        <button type="button" onClick={onCancel} autoFocus>Cancel</button>
      </div>
    </dialog>
  );
}
