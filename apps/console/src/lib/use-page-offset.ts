import { useCallback, useState } from 'react';

/**
 * The first row a paged list shows, and `toFirstPage(set)`: a filter's setter that also goes
 * back to the first page, since the old offset may lie past the end of the new result.
 */
export function usePageOffset() {
  const [offset, setOffset] = useState(0);
  const toFirstPage = useCallback(
    <T>(set: (value: T) => void) =>
      (value: T) => {
        set(value);
        setOffset(0);
      },
    [],
  );
  return { offset, setOffset, toFirstPage };
}
