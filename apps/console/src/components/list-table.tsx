import type { ReactNode } from 'react';
import type { Loaded } from '../lib/use-loader';
import { DataTable, Empty, ErrorMessage, Loading, Pagination } from './ui';

/**
 * A list page's table and its states: the load's error with a retry, "Loading…" until the first
 * answer, the empty text, then the rows and, for a paged list, the page controls. While a reload
 * runs the last rows stay, marked busy, so the table does not flash empty.
 */
export function ListTable<T>({
  loaded,
  items,
  what,
  empty,
  caption,
  columns,
  actions,
  pagination,
  children,
}: {
  loaded: Pick<Loaded<unknown>, 'error' | 'loading' | 'reload'>;
  /** Undefined until the first load answers. */
  items: readonly T[] | undefined;
  /** "tokens": read as "Loading tokens…". */
  what: string;
  empty: ReactNode;
  caption: string;
  columns: readonly string[];
  actions?: boolean;
  pagination?: {
    label: string;
    /** Undefined until the first load answers. */
    total: number | undefined;
    limit: number;
    offset: number;
    onChange: (offset: number) => void;
  };
  /** One row, a <tr> with a key. */
  children: (item: T) => ReactNode;
}) {
  return (
    <>
      <ErrorMessage error={loaded.error} onRetry={loaded.reload} />
      {!items && loaded.loading ? <Loading what={what} /> : null}
      {items && items.length === 0 ? <Empty>{empty}</Empty> : null}
      {items && items.length > 0 ? (
        <DataTable caption={caption} columns={columns} actions={actions} busy={loaded.loading}>
          {items.map((item) => children(item))}
        </DataTable>
      ) : null}
      {pagination && pagination.total !== undefined ? (
        <Pagination
          label={pagination.label}
          total={pagination.total}
          limit={pagination.limit}
          offset={pagination.offset}
          onChange={pagination.onChange}
        />
      ) : null}
    </>
  );
}
