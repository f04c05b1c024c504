import type { FormEvent, ReactNode } from 'react';

/**
 * The filters above a list, as a search landmark. Most lists filter as you type, so submitting
 * (Enter in a field) only calls `onSubmit` where a page applies its filters on demand.
 */
export function FilterBar({
  label,
  onSubmit,
  children,
}: {
  label: string;
  onSubmit?: () => void;
  children: ReactNode;
}) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit?.();
  };
  return (
    <search aria-label={label}>
      <form className="filters" onSubmit={submit}>
        {children}
      </form>
    </search>
  );
}
