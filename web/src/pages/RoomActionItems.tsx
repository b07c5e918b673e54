// A room's action items across its meetings (the transcripts you may see), newest meeting first: open ones by
// default, done or all on request (kept in the address), each ticked here by the owner, linked to its moment, and
// the whole list downloaded as CSV or Markdown.
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { Page, RoomActionItem } from '../api/types.ts';
import { Empty, ErrorNote, Loading, PageHeading, Pager, SelectField, formatDate, replaceListQuery } from '../components/ui.tsx';
import { ActionItemFacts } from '../transcript/ActionItems.tsx';
import { Link } from '../router.tsx';

const PAGE_SIZE = 50;
const STATUSES = [['open', 'Open'], ['done', 'Done'], ['all', 'All']] as const;
type Status = (typeof STATUSES)[number][0];

export function RoomActionItemsPage({ roomName }: { roomName: string }) {
  const query = new URLSearchParams(location.search);
  const [status, setStatus] = useState<Status>((STATUSES.find(([s]) => s === query.get('status'))?.[0]) ?? 'open');
  const [offset, setOffset] = useState(Number(query.get('offset')) || 0);
  const [page, setPage] = useState<Page<RoomActionItem> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [changeError, setChangeError] = useState<unknown>(null);
  const [owner, setOwner] = useState(false);

  useEffect(() => {
    replaceListQuery(location.pathname, { status: status === 'open' ? '' : status }, offset);
    setPage(null);
    setError(null);
    api.roomActionItems(roomName, { status, limit: PAGE_SIZE, offset }).then(setPage, setError);
  }, [roomName, status, offset]);
  useEffect(() => {
    api.getRoom(roomName).then((room) => setOwner(room.isOwner ?? false), () => setOwner(false));
  }, [roomName]);

  const tick = async (item: RoomActionItem) => {
    setChangeError(null);
    try {
      const changed = await api.changeActionItem(item.transcriptId, item.id, { done: !item.done });
      setPage((p) => p && { ...p, items: p.items.map((i) => (i.id === item.id ? { ...i, ...changed } : i)) });
    } catch (e) {
      setChangeError(e);
    }
  };

  return (
    <>
      <PageHeading title={`Action items of ${roomName}`} />
      <p className="muted"><Link href="/">Rooms</Link> · every meeting of this room whose transcript you may see, newest first.</p>
      <div className="filters">
        <SelectField label="Show" value={status} onChange={(e) => { setOffset(0); setStatus(e.target.value as Status); }} options={STATUSES} />
        <p className="hint">
          Download these: <a href={api.actionItemsFileUrl({ roomName, status }, 'csv')} download>CSV</a> · <a href={api.actionItemsFileUrl({ roomName, status }, 'markdown')} download>Markdown</a>
        </p>
      </div>
      <ErrorNote error={error} title="Could not load the action items" />
      <ErrorNote error={changeError} title="Could not change the action item" />
      {!page && !error && <Loading what="the action items" />}
      {page?.items.length === 0 && <Empty>{status === 'open' ? 'No open action items: everything said to be done is done.' : 'No action items here.'}</Empty>}
      {page && page.items.length > 0 && (
        <>
          <ul className="action-items room-action-items">
            {page.items.map((item) => (
              <li key={item.id} className={item.done ? 'action-done' : undefined} aria-label={item.text}>
                <div className="action-line">
                  {owner ? (
                    <input type="checkbox" checked={item.done} onChange={() => void tick(item)} aria-label={`Done: ${item.text}`} />
                  ) : (
                    <span className={`badge ${item.done ? 'badge-completed' : 'badge-pending'}`}>{item.done ? 'Done' : 'Open'}</span>
                  )}
                  <span className="action-text">{item.text}</span>
                </div>
                <div className="action-line action-more">
                  <ActionItemFacts item={item} />
                  <Link href={item.link}>{item.transcript.title ?? 'Untitled meeting'}, {formatDate(item.transcript.recordedAt)}</Link>
                </div>
              </li>
            ))}
          </ul>
          <Pager label="Pages of action items" page={page} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
    </>
  );
}
