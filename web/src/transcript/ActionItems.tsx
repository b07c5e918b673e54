// A transcript's action items as things: each with its owner and due day when known, and its moment (plays from
// there). Its owner ticks them done, edits one inline, adds and deletes them; everyone who may see the transcript
// reads them and downloads them as CSV or Markdown.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { ActionItem, ActionItemChange } from '../api/types.ts';
import { ErrorNote, TextField, formatDuration } from '../components/ui.tsx';

export function formatDueDay(due: string): string {
  return new Date(`${due}T12:00:00Z`).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** What the item says of itself beside its text: owner and due day. */
export function ActionItemFacts({ item }: { item: ActionItem }) {
  return (
    <span className="hint action-facts">
      {item.owner ? <span>Owner: {item.owner}</span> : <span>No owner</span>}
      {item.due && <span> · Due {formatDueDay(item.due)}</span>}
    </span>
  );
}

export function ActionItems({ transcriptId, share, owner, onSeek, canSeek }: { transcriptId: string; share?: string; owner: boolean; onSeek: (seconds: number) => void; canSeek: boolean }) {
  const [items, setItems] = useState<ActionItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => api.listActionItems(transcriptId, share).then(setItems, setError), [transcriptId, share]);
  useEffect(() => void load(), [load]);

  /** Runs a change; whether it was made (else its error is shown). */
  const act = async (run: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await run();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const replace = (item: ActionItem) => setItems((list) => list?.map((i) => (i.id === item.id ? item : i)) ?? null);
  const change = (item: ActionItem, body: ActionItemChange) => act(async () => replace(await api.changeActionItem(transcriptId, item.id, body)));
  const remove = (item: ActionItem) => act(async () => {
    await api.deleteActionItem(transcriptId, item.id);
    setItems((list) => list?.filter((i) => i.id !== item.id) ?? null);
  });

  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Action items</h2>
      <ErrorNote error={error} title="Could not change the action items" />
      {items?.length === 0 && <p className="muted">None found.</p>}
      {items && items.length > 0 && (
        <ul className="action-items">
          {items.map((item) => (
            <li key={item.id} className={item.done ? 'action-done' : undefined} aria-label={item.text}>
              {editing === item.id ? (
                <ActionItemEditor item={item} onCancel={() => setEditing(null)} onSave={async (body) => {
                  if (await change(item, body)) setEditing(null);
                }} busy={busy} />
              ) : (
                <>
                  <div className="action-line">
                    {owner ? (
                      <input type="checkbox" checked={item.done} disabled={busy} onChange={() => void change(item, { done: !item.done })} aria-label={`Done: ${item.text}`} />
                    ) : (
                      <span className={`badge ${item.done ? 'badge-completed' : 'badge-pending'}`}>{item.done ? 'Done' : 'Open'}</span>
                    )}
                    <span className="action-text">{item.text}</span>
                  </div>
                  <div className="action-line action-more">
                    <ActionItemFacts item={item} />
                    {item.startSeconds !== null && (
                      <button type="button" className="button-link" disabled={!canSeek} onClick={() => onSeek(item.startSeconds!)} aria-label={`Play from ${formatDuration(item.startSeconds)}, where “${item.text}” was said`}>
                        {formatDuration(item.startSeconds)}
                      </button>
                    )}
                    {owner && <button type="button" className="button-small" onClick={() => setEditing(item.id)} aria-label={`Edit: ${item.text}`}>Edit</button>}
                    {owner && <button type="button" className="button-small button-danger" disabled={busy} onClick={() => void remove(item)} aria-label={`Delete: ${item.text}`}>Delete</button>}
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {owner && <NewActionItem transcriptId={transcriptId} onAdded={(item) => setItems((list) => [...(list ?? []), item])} />}
      {items && items.length > 0 && (
        <p className="hint">
          Download: <a href={api.actionItemsFileUrl({ transcriptId, share }, 'csv')} download>CSV</a> · <a href={api.actionItemsFileUrl({ transcriptId, share }, 'markdown')} download>Markdown</a>
        </p>
      )}
    </section>
  );
}

function ActionItemEditor({ item, onSave, onCancel, busy }: { item: ActionItem; onSave: (body: ActionItemChange) => Promise<void>; onCancel: () => void; busy: boolean }) {
  const [text, setText] = useState(item.text);
  const [owner, setOwner] = useState(item.owner ?? '');
  const [due, setDue] = useState(item.due ?? '');
  const save = (event: FormEvent) => {
    event.preventDefault();
    void onSave({ text: text.trim(), owner: owner.trim() || null, due: due || null });
  };
  return (
    <form onSubmit={save} className="action-editor" aria-label={`Edit the action item “${item.text}”`}>
      <div className="form-grid">
        <TextField label="Action item" value={text} onChange={(e) => setText(e.target.value)} />
        <TextField label="Owner" value={owner} onChange={(e) => setOwner(e.target.value)} hint="Empty: no one yet." />
        <TextField label="Due" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
      </div>
      <div className="row-actions">
        <button type="submit" className="button-primary" disabled={busy || !text.trim()}>Save</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

function NewActionItem({ transcriptId, onAdded }: { transcriptId: string; onAdded: (item: ActionItem) => void }) {
  const [text, setText] = useState('');
  const [owner, setOwner] = useState('');
  const [due, setDue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAdded(await api.addActionItem(transcriptId, { text: text.trim(), ...(owner.trim() ? { owner: owner.trim() } : {}), ...(due ? { due } : {}) }));
      setText('');
      setOwner('');
      setDue('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void add(e)} className="action-new" aria-label="New action item">
      <div className="form-grid">
        <TextField label="New action item" value={text} onChange={(e) => setText(e.target.value)} />
        <TextField label="Owner (optional)" value={owner} onChange={(e) => setOwner(e.target.value)} />
        <TextField label="Due (optional)" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
      </div>
      <ErrorNote error={error} title="Could not add the action item" />
      <button type="submit" disabled={busy || !text.trim()}>Add</button>
    </form>
  );
}
