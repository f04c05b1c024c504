import type { Token, TokenStatus } from '@tokenward/client/api';
import { useId, useState } from 'react';
import { api, serverNow, withoutEmpty } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { EditTokenDialog } from '../components/edit-token-dialog';
import { FilterBar } from '../components/filter-bar';
import { ListTable } from '../components/list-table';
import { SearchField } from '../components/search-field';
import { ShowTokenDialog } from '../components/show-token-dialog';
import { StatusFilter } from '../components/status-filter';
import { TOKEN_CELL_COLUMNS, TokenCells } from '../components/token-cells';
import { Announcement, PageHeader, StatusBadge } from '../components/ui';
import { tokenLabel } from '../lib/format';
import { useCan, useSession } from '../lib/session';
import { deriveStatus, expiresSoon } from '../lib/status';
import { useDebounced } from '../lib/use-debounced';
import { useLoader } from '../lib/use-loader';
import { usePageOffset } from '../lib/use-page-offset';
import { GrantTokenDialog } from './grant-token-dialog';

const PAGE_SIZE = 25;

/** Seed 001's "Security \ Tokens": every app token the caller may see, with grant and revoke. */
export function TokensPage() {
  const { identity: self } = useSession();
  const can = useCan();
  const canReadAny = can('tokens:read-any');
  const canGrant = can('tokens:grant') || can('tokens:grant-any');
  const canGrantAny = can('tokens:grant-any') && can('identities:read');
  const [status, setStatus] = useState<TokenStatus | ''>('');
  const [identity, setIdentity] = useState('');
  const [searchInput, setSearchInput] = useState('');
  const search = useDebounced(searchInput.trim(), 300);
  const { offset, setOffset, toFirstPage } = usePageOffset();
  const [granting, setGranting] = useState(false);
  const [created, setCreated] = useState<(Token & { token: string }) | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [editing, setEditing] = useState<Token | null>(null);
  const [announce, setAnnounce] = useState('');
  const identityId = useId();

  const tokens = useLoader(
    () => api.appTokens.list(withoutEmpty({ status, identity, search, limit: PAGE_SIZE, offset })),
    [status, identity, search, offset],
  );
  const identities = useLoader(
    () =>
      can('identities:read')
        ? api.identities.list({ limit: 500, offset: 0 }).then((p) => p.items)
        : Promise.resolve(null),
    [],
  );
  const nowMs = serverNow();
  const mayRevoke = (t: Token) => can(t.identityId === self.id ? 'tokens:revoke' : 'tokens:revoke-any');
  const mayEdit = (t: Token) => can(t.identityId === self.id ? 'tokens:grant' : 'tokens:grant-any');
  const page = tokens.data;

  return (
    <>
      <PageHeader
        title="Tokens"
        context="Security"
        action={canGrant ? { label: 'Grant App Token', onClick: () => setGranting(true) } : null}
      />
      <p className="lead">
        App tokens let programs call the API as an identity, with some or all of its roles.{' '}
        {canReadAny ? 'You see the tokens of every identity.' : 'You see your own tokens.'}
      </p>

      <FilterBar label="Filter tokens">
        <StatusFilter value={status} onChange={toFirstPage(setStatus)} />
        {canReadAny ? (
          <div className="field">
            <label htmlFor={identityId}>Identity</label>
            <select
              id={identityId}
              value={identity}
              onChange={(e) => toFirstPage(setIdentity)(e.currentTarget.value)}
            >
              <option value="">All identities</option>
              {(identities.data ?? [self]).map((i) => (
                <option key={i.id} value={String(i.id)}>
                  {i.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <SearchField
          placeholder="Name or description"
          value={searchInput}
          onChange={toFirstPage(setSearchInput)}
        />
      </FilterBar>

      <Announcement message={announce} />
      <ListTable
        loaded={tokens}
        items={page?.items}
        what="tokens"
        empty={
          status || identity || search
            ? 'No token matches these filters.'
            : canGrant
              ? 'No app tokens yet. Grant one to let a program call the API.'
              : 'No app tokens yet.'
        }
        caption="App tokens"
        columns={['Identity', 'Roles', 'Name', 'Status', ...TOKEN_CELL_COLUMNS]}
        actions
        pagination={{ label: 'Tokens', total: page?.total, limit: PAGE_SIZE, offset, onChange: setOffset }}
      >
        {(t) => {
          const st = deriveStatus(t, nowMs);
          const soon = expiresSoon(t, nowMs);
          return (
            <tr key={t.id} data-token-id={t.id}>
              <td data-label="Identity" className="identity-cell">
                {t.identity.name || `#${t.identityId}`}
              </td>
              <td data-label="Roles">
                <span className="chips">
                  {t.roles.map((r) => (
                    <span key={r} className="chip">
                      {r}
                    </span>
                  ))}
                </span>
              </td>
              <td data-label="Name" className="name-cell">
                {t.name || <span className="muted">Unnamed</span>}
                {t.description ? <span className="cell-note">{t.description}</span> : null}
                {t.scope === 'custom' ? (
                  <span className="cell-note" title={t.apiEndpoints?.join('\n')}>
                    Scope: {t.apiEndpoints?.length ?? 0} endpoint{t.apiEndpoints?.length === 1 ? '' : 's'}
                  </span>
                ) : null}
              </td>
              <td data-label="Status">
                <StatusBadge status={st} />
                {soon !== null ? <span className="cell-note warning-text">Expires {soon}</span> : null}
              </td>
              <TokenCells
                token={t}
                status={st}
                nowMs={nowMs}
                canEdit={mayEdit(t)}
                canRevoke={mayRevoke(t)}
                onEdit={() => setEditing(t)}
                onRevoke={() => setRevoking(t)}
              />
            </tr>
          );
        }}
      </ListTable>

      {granting ? (
        <GrantTokenDialog
          identities={identities.data ?? null}
          canGrantAny={canGrantAny}
          onClose={() => setGranting(false)}
          onGranted={(token) => {
            setGranting(false);
            setCreated(token);
            setAnnounce(`Token granted to ${token.identity.name}.`);
            tokens.reload();
          }}
        />
      ) : null}
      {created ? <ShowTokenDialog token={created} onClose={() => setCreated(null)} /> : null}
      {editing ? (
        <EditTokenDialog
          token={editing}
          onClose={() => setEditing(null)}
          onSave={async (patch) => {
            await api.appTokens.update(editing.id, patch);
            setEditing(null);
            setAnnounce('Token updated.');
            tokens.reload();
          }}
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke token?"
          confirmLabel="Revoke token"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.appTokens.revoke(revoking.id);
            setRevoking(null);
            setAnnounce(`Token ${tokenLabel(revoking)} revoked.`);
            tokens.reload();
          }}
        >
          <p>
            Revoke the token {tokenLabel(revoking)} of <strong>{revoking.identity.name}</strong>? Every
            program using it is refused from the next request. This cannot be undone; the token stays listed
            as Revoked for the audit trail.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
