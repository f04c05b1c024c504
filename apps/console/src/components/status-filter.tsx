import type { TokenStatus } from '@tokenward/client/api';
import { useId } from 'react';

/** A token list's Status filter; '' is every status. */
export function StatusFilter({
  value,
  onChange,
}: {
  value: TokenStatus | '';
  onChange: (status: TokenStatus | '') => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Status</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as TokenStatus | '')}>
        <option value="">All statuses</option>
        <option value="Active">Active</option>
        <option value="Revoked">Revoked</option>
        <option value="Expired">Expired</option>
      </select>
    </div>
  );
}
