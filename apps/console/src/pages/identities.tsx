import type { Identity } from '@tokenward/client/api';
import { useState } from 'react';
import { api, withoutEmpty } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { FilterBar } from '../components/filter-bar';
import { ListTable } from '../components/list-table';
import { SearchField } from '../components/search-field';
import { Announcement, DateText, PageHeader } from '../components/ui';
import { useCan, useSession } from '../lib/session';
import { useDebounced } from '../lib/use-debounced';
import { useLoader } from '../lib/use-loader';
import { usePageOffset } from '../lib/use-page-offset';
import { IdentityDialog } from './identity-dialog';
import { PasswordDialog } from './identity-password-dialog';
import { RolesDialog } from './identity-roles-dialog';

const PAGE_SIZE = 25;

type Action =
  | { kind: 'create' }
  | { kind: 'edit'; identity: Identity }
  | { kind: 'roles'; identity: Identity }
  | { kind: 'password'; identity: Identity }
  | { kind: 'toggle'; identity: Identity }
  | { kind: 'delete'; identity: Identity };

export function IdentitiesPage() {
  const { identity: self, refresh } = useSession();
  const can = useCan();
  const canWrite = can('identities:write');
  const [searchInput, setSearchInput] = useState('');
  const search = useDebounced(searchInput.trim(), 300);
  const { offset, setOffset, toFirstPage } = usePageOffset();
  const [action, setAction] = useState<Action | null>(null);
  const [announce, setAnnounce] = useState('');
  const identities = useLoader(
    () => api.identities.list(withoutEmpty({ search, limit: PAGE_SIZE, offset })),
    [search, offset],
  );
  const roles = useLoader(() => api.roles.list(), []);
  const page = identities.data;

  const done = async (message: string, changed?: Identity) => {
    setAction(null);
    setAnnounce(message);
    identities.reload();
    // Changing one's own roles changes what the console may offer.
    if (changed?.id === self.id) await refresh();
  };

  return (
    <>
      <PageHeader
        title="Identities"
        context="Security"
        action={canWrite ? { label: 'Create identity', onClick: () => setAction({ kind: 'create' }) } : null}
      />
      <p className="lead">
        People and programs that hold tokens. A token never does more than its identity’s current roles allow.
      </p>
      <FilterBar label="Filter identities">
        <SearchField placeholder="Name or email" value={searchInput} onChange={toFirstPage(setSearchInput)} />
      </FilterBar>
      <Announcement message={announce} />
      <ListTable
        loaded={identities}
        items={page?.items}
        what="identities"
        empty="No identity matches."
        caption="Identities"
        columns={['Name', 'Roles', 'Source', 'Status', 'Password', 'Created']}
        actions={canWrite}
        pagination={{
          label: 'Identities',
          total: page?.total,
          limit: PAGE_SIZE,
          offset,
          onChange: setOffset,
        }}
      >
        {(i) => (
          <tr key={i.id} data-identity-id={i.id}>
            <td data-label="Name" className="identity-cell">
              <strong>{i.name}</strong>
              {i.id === self.id ? <span className="muted small"> (you)</span> : null}
              {i.fullName && i.fullName !== i.name ? <span className="cell-note">{i.fullName}</span> : null}
              {i.email && i.email !== i.name ? <span className="cell-note">{i.email}</span> : null}
            </td>
            <td data-label="Roles">
              {i.roles.length ? (
                <span className="chips">
                  {i.roles.map((r) => (
                    <span key={r} className="chip">
                      {r}
                    </span>
                  ))}
                </span>
              ) : (
                <span className="muted">None</span>
              )}
            </td>
            <td data-label="Source">{i.source}</td>
            <td data-label="Status">
              <span className={`badge ${i.enabled ? 'badge-active' : 'badge-disabled'}`}>
                {i.enabled ? 'Enabled' : 'Disabled'}
              </span>
            </td>
            <td data-label="Password">{i.hasPassword ? 'Set' : <span className="muted">None</span>}</td>
            <td data-label="Created" className="nowrap">
              <DateText iso={i.created} style="date" />
            </td>
            {canWrite ? (
              <td data-label="Actions" className="actions actions-wrap">
                <button
                  type="button"
                  className="button button-small"
                  aria-label={`Edit ${i.name}`}
                  onClick={() => setAction({ kind: 'edit', identity: i })}
                >
                  Edit
                </button>
                <button
                  type="button"
                  className="button button-small"
                  aria-label={`Edit roles of ${i.name}`}
                  onClick={() => setAction({ kind: 'roles', identity: i })}
                >
                  Roles
                </button>
                <button
                  type="button"
                  className="button button-small"
                  aria-label={`Reset password of ${i.name}`}
                  onClick={() => setAction({ kind: 'password', identity: i })}
                >
                  Password
                </button>
                {i.id !== self.id ? (
                  <>
                    <button
                      type="button"
                      className="button button-small"
                      aria-label={`${i.enabled ? 'Disable' : 'Enable'} ${i.name}`}
                      onClick={() => setAction({ kind: 'toggle', identity: i })}
                    >
                      {i.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      className="button button-small button-danger-outline"
                      aria-label={`Delete ${i.name}`}
                      onClick={() => setAction({ kind: 'delete', identity: i })}
                    >
                      Delete
                    </button>
                  </>
                ) : null}
              </td>
            ) : null}
          </tr>
        )}
      </ListTable>

      {action?.kind === 'create' ? (
        <IdentityDialog
          roles={roles.data ?? []}
          onClose={() => setAction(null)}
          onSaved={(created) => done(`Identity ${created.name} created.`)}
        />
      ) : null}
      {action?.kind === 'edit' ? (
        <IdentityDialog
          identity={action.identity}
          roles={roles.data ?? []}
          onClose={() => setAction(null)}
          onSaved={(changed) => done(`Identity ${changed.name} saved.`, changed)}
        />
      ) : null}
      {action?.kind === 'roles' ? (
        <RolesDialog
          identity={action.identity}
          roles={roles.data ?? []}
          onClose={() => setAction(null)}
          onSaved={(changed) => done(`Roles of ${changed.name} saved.`, changed)}
        />
      ) : null}
      {action?.kind === 'password' ? (
        <PasswordDialog
          identity={action.identity}
          onClose={() => setAction(null)}
          onSaved={(changed) => done(`Password of ${changed.name} reset.`)}
        />
      ) : null}
      {action?.kind === 'toggle' ? (
        <ConfirmDialog
          title={
            action.identity.enabled ? `Disable ${action.identity.name}?` : `Enable ${action.identity.name}?`
          }
          confirmLabel={action.identity.enabled ? 'Disable' : 'Enable'}
          danger={action.identity.enabled}
          onClose={() => setAction(null)}
          onConfirm={async () => {
            const changed = await api.identities.update(action.identity.id, {
              enabled: !action.identity.enabled,
            });
            await done(`${changed.name} ${changed.enabled ? 'enabled' : 'disabled'}.`);
          }}
        >
          <p>
            {action.identity.enabled
              ? `${action.identity.name} will not be able to sign in, and all of its tokens are refused until it is enabled again.`
              : `${action.identity.name} will be able to sign in again, and its unexpired, unrevoked tokens work again.`}
          </p>
        </ConfirmDialog>
      ) : null}
      {action?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${action.identity.name}?`}
          confirmLabel="Delete identity"
          danger
          onClose={() => setAction(null)}
          onConfirm={async () => {
            await api.identities.delete(action.identity.id);
            await done(`${action.identity.name} deleted.`);
          }}
        >
          <p>
            This deletes {action.identity.name} with all of its tokens and sessions. It cannot be undone; to
            stop it for now, disable it instead.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
