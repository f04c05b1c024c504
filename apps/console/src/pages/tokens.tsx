import { useId, useState } from 'react';
import { serverNow } from '../api/client';
import { listAppTokens, listIdentities, revokeAppToken, updateAppToken } from '../api/endpoints';
import type { TokenStatus, TokenView } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { EditTokenDialog } from '../components/edit-token-dialog';
import { ShowTokenDialog } from '../components/show-token-dialog';
import {
  DataTable,
  DateText,
  Empty,
  ErrorMessage,
  Loading,
  PageHeader,
  Pagination,
  StatusBadge,
} from '../components/ui';
import { useCan, useSession } from '../lib/session';
import { deriveStatus, expiresSoon } from '../lib/status';
import { useDebounced } from '../lib/use-debounced';
import { useLoader } from '../lib/use-loader';
import { GrantTokenDialog } from './grant-token-dialog';

const PAGE_SIZE = 25;

export function tokenLabel(t: TokenView): string {
  return t.name ? `“${t.name}” (…${t.hint})` : `…${t.hint}`;
}

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
  const [offset, setOffset] = useState(0);
  const [granting, setGranting] = useState(false);
  const [created, setCreated] = useState<(TokenView & { token: string }) | null>(null);
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const [editing, setEditing] = useState<TokenView | null>(null);
  const [announce, setAnnounce] = useState('');
  const ids = { status: useId(), identity: useId(), search: useId() };

  const tokens = useLoader(
    () => listAppTokens({ status, identity, search, limit: PAGE_SIZE, offset }),
    [status, identity, search, offset],
  );
  const identities = useLoader(
    () =>
      can('identities:read')
        ? listIdentities({ limit: 500, offset: 0 }).then((p) => p.items)
        : Promise.resolve(null),
    [],
  );
  const nowMs = serverNow();
  const mayRevoke = (t: TokenView) => can(t.identityId === self.id ? 'tokens:revoke' : 'tokens:revoke-any');
  const mayEdit = (t: TokenView) => can(t.identityId === self.id ? 'tokens:grant' : 'tokens:grant-any');
  const page = tokens.data;

  return (
    <>
      <PageHeader
        title="Tokens"
        context="Security"
        actions={
          canGrant ? (
            <button type="button" className="button button-primary" onClick={() => setGranting(true)}>
              Grant App Token
            </button>
          ) : null
        }
      />
      <p className="lead">
        App tokens let programs call the API as an identity, with some or all of its roles.{' '}
        {canReadAny ? 'You see the tokens of every identity.' : 'You see your own tokens.'}
      </p>

      <search aria-label="Filter tokens">
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor={ids.status}>Status</label>
            <select
              id={ids.status}
              value={status}
              onChange={(e) => {
                setStatus(e.currentTarget.value as TokenStatus | '');
                setOffset(0);
              }}
            >
              <option value="">All statuses</option>
              <option value="Active">Active</option>
              <option value="Revoked">Revoked</option>
              <option value="Expired">Expired</option>
            </select>
          </div>
          {canReadAny ? (
            <div className="field">
              <label htmlFor={ids.identity}>Identity</label>
              <select
                id={ids.identity}
                value={identity}
                onChange={(e) => {
                  setIdentity(e.currentTarget.value);
                  setOffset(0);
                }}
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
          <div className="field field-grow">
            <label htmlFor={ids.search}>Search</label>
            <input
              id={ids.search}
              type="search"
              placeholder="Name or description"
              value={searchInput}
              onChange={(e) => {
                setSearchInput(e.currentTarget.value);
                setOffset(0);
              }}
            />
          </div>
        </form>
      </search>

      <p className="visually-hidden" role="status" aria-live="polite">
        {announce}
      </p>
      <ErrorMessage error={tokens.error} onRetry={tokens.reload} />
      {!page && tokens.loading ? <Loading what="tokens" /> : null}
      {page && page.items.length === 0 ? (
        <Empty>
          {status || identity || search
            ? 'No token matches these filters.'
            : canGrant
              ? 'No app tokens yet. Grant one to let a program call the API.'
              : 'No app tokens yet.'}
        </Empty>
      ) : null}
      {page && page.items.length > 0 ? (
        <DataTable caption="App tokens" busy={tokens.loading}>
          <thead>
            <tr>
              <th scope="col">Identity</th>
              <th scope="col">Roles</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Expiration</th>
              <th scope="col">Last used</th>
              <th scope="col">Hint</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((t) => {
              const st = deriveStatus(t, nowMs);
              const soon = expiresSoon(t, nowMs);
              return (
                <tr key={t.id} data-token-id={t.id}>
                  <td data-label="Identity" className="nowrap">
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
                    {soon !== null ? (
                      <span className="cell-note warning-text">
                        Expires {soon === 0 ? 'today' : `in ${soon} day${soon === 1 ? '' : 's'}`}
                      </span>
                    ) : null}
                  </td>
                  <td data-label="Created" className="nowrap">
                    <DateText iso={t.created} style="date" />
                  </td>
                  <td data-label="Expiration" className="nowrap">
                    <DateText iso={t.expiration} style="date" />
                  </td>
                  <td data-label="Last used">
                    <DateText iso={t.lastUsed} nowMs={nowMs} style="relative" />
                  </td>
                  <td data-label="Hint" className="mono nowrap">
                    …{t.hint}
                  </td>
                  <td data-label="Actions" className="actions">
                    {mayEdit(t) && st === 'Active' ? (
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={`Edit token ${tokenLabel(t)}`}
                        onClick={() => setEditing(t)}
                      >
                        Edit
                      </button>
                    ) : null}
                    {mayRevoke(t) && st === 'Active' ? (
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        aria-label={`Revoke token ${tokenLabel(t)}`}
                        onClick={() => setRevoking(t)}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </DataTable>
      ) : null}
      {page ? (
        <Pagination
          label="Tokens"
          total={page.total}
          limit={PAGE_SIZE}
          offset={offset}
          onChange={setOffset}
        />
      ) : null}

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
            await updateAppToken(editing.id, patch);
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
            await revokeAppToken(revoking.id);
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
