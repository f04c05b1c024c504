import type { Token, TokenStatus } from '@tokenward/client/api';
import { tokenLabel } from '../lib/format';
import { DateText } from './ui';

/** The headers of the columns that `TokenCells` fills, before its actions column. */
export const TOKEN_CELL_COLUMNS = ['Created', 'Expiration', 'Last used', 'Hint'] as const;

/**
 * The cells every token table ends with: dates, hint and the Edit and Revoke buttons, which
 * only an active token offers (a revoked or expired one can no longer change).
 */
export function TokenCells({
  token,
  status,
  nowMs,
  canEdit,
  canRevoke,
  onEdit,
  onRevoke,
}: {
  token: Token;
  status: TokenStatus;
  nowMs: number;
  canEdit: boolean;
  canRevoke: boolean;
  onEdit: () => void;
  onRevoke: () => void;
}) {
  const active = status === 'Active';
  return (
    <>
      <td data-label="Created" className="nowrap">
        <DateText iso={token.created} style="date" />
      </td>
      <td data-label="Expiration" className="nowrap">
        <DateText iso={token.expiration} style="date" />
      </td>
      <td data-label="Last used">
        <DateText iso={token.lastUsed} nowMs={nowMs} style="relative" />
      </td>
      <td data-label="Hint" className="mono nowrap">
        …{token.hint}
      </td>
      <td data-label="Actions" className="actions">
        {canEdit && active ? (
          <button
            type="button"
            className="button button-small"
            aria-label={`Edit token ${tokenLabel(token)}`}
            onClick={onEdit}
          >
            Edit
          </button>
        ) : null}
        {canRevoke && active ? (
          <button
            type="button"
            className="button button-small button-danger-outline"
            aria-label={`Revoke token ${tokenLabel(token)}`}
            onClick={onRevoke}
          >
            Revoke
          </button>
        ) : null}
      </td>
    </>
  );
}
