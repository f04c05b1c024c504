import type { TokenStatus } from '@tokenward/client/api';
import { type ReactNode, useEffect } from 'react';
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
  action,
}: {
  title: string;
  context?: string;
  /** The page's main action, as a primary button beside the title; null when the caller may not. */
  action?: { label: string; onClick: () => void } | null;
}) {
  useEffect(() => {
    document.title = `${title} · Tokenward`;
  }, [title]);
  return (
    <div className="page-header">
      <div>
        {context ? (
          // As the docs name the page ("Security \ Tokens"): the section, then this page.
          <nav className="breadcrumb" aria-label="Breadcrumb">
            <ol>
              <li>{context}</li>
              <li aria-current="page">{title}</li>
            </ol>
          </nav>
        ) : null}
        <h1 tabIndex={-1} id="page-title">
          {title}
        </h1>
      </div>
      {action ? (
        <div className="page-actions">
          <button type="button" className="button button-primary" onClick={action.onClick}>
            {action.label}
          </button>
        </div>
      ) : null}
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

/**
 * A table that turns into labelled cards on narrow screens: `children` are its rows, and each
 * cell carries its column's name as `data-label`.
 */
export function DataTable({
  caption,
  columns,
  actions,
  children,
  busy,
}: {
  caption: string;
  columns: readonly string[];
  /** A last column of row buttons, whose header only screen readers need. */
  actions?: boolean;
  children: ReactNode;
  busy?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table className="data-table" aria-busy={busy ? 'true' : undefined}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
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

/** Says what an action just did to screen-reader users, who may not see the table change. */
export function Announcement({ message }: { message: string }) {
  return (
    <p className="visually-hidden" role="status" aria-live="polite">
      {message}
    </p>
  );
}
