// Small shared pieces: page heading (title + focus on navigation), error and empty states, form fields
// that show the API's message for that field, a labelled progress bar, and the pieces of a paged, filtered list.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode, type InputHTMLAttributes, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { ApiError } from '../api/client.ts';

export function PageHeading({ title, children }: { title: string; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Meeting recorder`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <div className="page-heading">
      <h1 ref={ref} tabIndex={-1}>{title}</h1>
      {children}
    </div>
  );
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="note note-error" role="alert">
      <strong>{title}.</strong> {errorMessage(error)}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" role="status">Loading {what}…</p>;
}

interface FieldProps {
  label: string;
  hint?: string;
  error?: string;
}

/** A labelled control with its hint and the API's message for it: `control` gets the id and what describes it. */
function Field({ label, hint, error, control }: FieldProps & { control: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode }) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {control({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
      {error && <p id={`${id}-error`} className="field-error">{error}</p>}
    </div>
  );
}

export function TextField({ label, hint, error, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  return <Field label={label} hint={hint} error={error} control={(props) => <input {...props} {...input} />} />;
}

export function TextAreaField({ label, hint, error, ...area }: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <Field label={label} hint={hint} error={error} control={(props) => <textarea {...props} {...area} />} />;
}

export function SelectField({ label, hint, error, options, ...select }: FieldProps & SelectHTMLAttributes<HTMLSelectElement> & { options: ReadonlyArray<readonly [string, string]> }) {
  return (
    <Field label={label} hint={hint} error={error} control={(props) => (
      <select {...props} {...select}>
        {options.map(([value, text]) => <option key={value} value={value}>{text}</option>)}
      </select>
    )} />
  );
}

export function CheckField({ label, hint, error, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className={`field field-check${error ? ' field-invalid' : ''}`}>
      <input id={id} type="checkbox" aria-describedby={hint || error ? `${id}-more` : undefined} {...input} />
      <label htmlFor={id}>{label}</label>
      {(hint || error) && <p id={`${id}-more`} className={error ? 'field-error' : 'hint'}>{error ?? hint}</p>}
    </div>
  );
}

export function ProgressBar({ label, percent, detail }: { label: string; percent: number; detail?: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className="progress">
      <div className="progress-label"><span>{label}</span><span>{value}%</span></div>
      <div className="progress-track" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value} aria-valuetext={detail ? `${value}%, ${detail}` : `${value}%`}>
        <div className="progress-fill" style={{ width: `${value}%` }} />
      </div>
      {detail && <p className="hint">{detail}</p>}
    </div>
  );
}

export const formatDuration = (seconds: number | null | undefined) => {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
};

export const formatBytes = (bytes: number | null | undefined) => {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
};

export const formatDate = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');

/** A secret shown once (a public link, an API key): the value, and a button that copies it. */
export function CopyOnce({ intro, value, href, what }: { intro: string; value: string; href?: string; what: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard.writeText(value).then(() => setCopied(true), () => setCopied(false));
  };
  return (
    <div className="note copy-once">
      <p>{intro}</p>
      <p className="copy-value">{href ? <a href={href}>{value}</a> : <code>{value}</code>}</p>
      <button type="button" onClick={copy}>{copied ? 'Copied' : `Copy the ${what}`}</button>
    </div>
  );
}

/** Keeps a list page's address in step with its filters and page, so it can be bookmarked and reloaded. */
export function replaceListQuery(path: string, values: object, offset: number) {
  const q = new URLSearchParams(Object.entries({ ...values, offset: offset ? String(offset) : '' }).filter(([, v]) => v) as Array<[string, string]>).toString();
  history.replaceState(null, '', q ? `${path}?${q}` : path);
}

/** Previous / "11–20 of 42" / Next under a paged list. */
export function Pager({ label, page, pageSize, onOffset }: { label: string; page: { offset: number; total: number; hasMore: boolean; items: unknown[] }; pageSize: number; onOffset: (offset: number) => void }) {
  const from = page.total ? page.offset + 1 : 0;
  const to = page.offset + page.items.length;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={page.offset === 0} onClick={() => onOffset(Math.max(0, page.offset - pageSize))}>Previous</button>
      <span role="status">{from}–{to} of {page.total}</span>
      <button type="button" disabled={!page.hasMore} onClick={() => onOffset(page.offset + pageSize)}>Next</button>
    </nav>
  );
}

/** A list page's filters: those being edited, those applied (a submit applies them and goes to the first page), and the page's offset. */
export function useListFilters<F extends object>(initial: { filters: F; offset: number }) {
  const [filters, setFilters] = useState<F>(initial.filters);
  const [applied, setApplied] = useState<F>(initial.filters);
  const [offset, setOffset] = useState(initial.offset);
  const apply = (next: F) => {
    setOffset(0);
    setApplied({ ...next });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(filters);
  };
  const clear = (none: F) => {
    setFilters(none);
    apply(none);
  };
  return { filters, setFilters, applied, offset, setOffset, submit, clear };
}
