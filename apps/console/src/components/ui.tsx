import { type ReactNode, useEffect } from 'react';
import type { TokenStatus } from '../api/types';
import { errorText } from '../lib/errors';
import { formatDate, formatDateTime, formatRelative } from '../lib/format';

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      <span>{errorText(error)}</span>
      {onRetry ? (
        <button type="button" className="button button-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function StatusBadge({ status }: { status: TokenStatus }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

/**
 * A moment as a <time>: the date (tables), date and time, or how long ago / until; the exact
 * date and time are in the title either way.
 */
export function DateText({
  iso,
  nowMs,
  style = 'datetime',
}: {
  iso: string | null;
  nowMs?: number;
  style?: 'date' | 'datetime' | 'relative';
}) {
  if (!iso) return <span className="muted">Never</span>;
  const text =
    style === 'date'
      ? formatDate(iso)
      : style === 'relative' && nowMs !== undefined
        ? formatRelative(iso, nowMs)
        : formatDateTime(iso);
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {text}
    </time>
  );
}

export function PageHeader({
  title,
  context,
  actions,
}: {
  title: string;
  context?: string;
  actions?: ReactNode;
}) {
  useEffect(() => {
    document.title = `${title} · Tokenward`;
  }, [title]);
  return (
    <div className="page-header">
      <div>
        {context ? <p className="breadcrumb">{context}</p> : null}
        <h1 tabIndex={-1} id="page-title">
          {title}
        </h1>
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}

export function Pagination({
  total,
  limit,
  offset,
  onChange,
  label,
}: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
  label: string;
}) {
  if (total === 0) return null;
  const first = offset + 1;
  const last = Math.min(offset + limit, total);
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav className="pagination" aria-label={`${label} pages`}>
      <span aria-live="polite">
        {first}–{last} of {total}
      </span>
      <button
        type="button"
        className="button button-small"
        disabled={offset === 0}
        onClick={() => onChange(Math.max(0, offset - limit))}
      >
        Previous<span className="visually-hidden"> page</span>
      </button>
      <span className="muted small">
        Page {page} of {pages}
      </span>
      <button
        type="button"
        className="button button-small"
        disabled={last >= total}
        onClick={() => onChange(offset + limit)}
      >
        Next<span className="visually-hidden"> page</span>
      </button>
    </nav>
  );
}

/** A table that turns into labelled cards on narrow screens (each cell carries `data-label`). */
export function DataTable({
  caption,
  children,
  busy,
}: {
  caption: string;
  children: ReactNode;
  busy?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table className="data-table" aria-busy={busy ? 'true' : undefined}>
        <caption className="visually-hidden">{caption}</caption>
        {children}
      </table>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
