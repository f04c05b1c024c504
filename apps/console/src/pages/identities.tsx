import type { Identity, Role } from '@tokenward/client/api';
import { useState } from 'react';
import { api, withoutEmpty } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { FilterBar } from '../components/filter-bar';
import { FormDialog } from '../components/form-dialog';
import { ListTable } from '../components/list-table';
import { SearchField } from '../components/search-field';
import { TextField } from '../components/text-field';
import { Announcement, DateText, PageHeader } from '../components/ui';
import { useCan, useSession } from '../lib/session';
import { useAction } from '../lib/use-action';
import { useDebounced } from '../lib/use-debounced';
import { useLoader } from '../lib/use-loader';
import { usePageOffset } from '../lib/use-page-offset';

const PAGE_SIZE = 25;

type Action =
  | { kind: 'create' }
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
            <td data-label="Name">
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
            <td data-label="Created">
              <DateText iso={i.created} />
            </td>
            {canWrite ? (
              <td data-label="Actions" className="actions">
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

function RoleCheckboxes({
  roles,
  value,
  onChange,
  legend,
}: {
  roles: Role[];
  value: string[];
  onChange: (roles: string[]) => void;
  legend: string;
}) {
  const has = (name: string) => value.some((v) => v.toLowerCase() === name.toLowerCase());
  return (
    <fieldset className="field">
      <legend>{legend}</legend>
      <div className="checkbox-list">
        {roles.map((r) => (
          <label key={r.name} className="checkbox">
            <input
              type="checkbox"
              checked={has(r.name)}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                onChange(
                  on ? [...value, r.name] : value.filter((v) => v.toLowerCase() !== r.name.toLowerCase()),
                );
              }}
            />
            <span>
              {r.name}
              {r.description ? <span className="cell-note">{r.description}</span> : null}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function IdentityDialog({
  roles,
  onClose,
  onSaved,
}: {
  roles: Role[];
  onClose: () => void;
  onSaved: (identity: Identity) => void;
}) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [chosen, setChosen] = useState<string[]>(['Reader']);
  const [password, setPassword] = useState('');
  const [problems, setProblems] = useState<{ name?: string; email?: string; password?: string }>({});
  const action = useAction();

  const submit = () => {
    const p: typeof problems = {};
    if (!name.trim()) p.name = 'Enter a name.';
    if (email.trim() && !/^[^\s@]+@[^\s@]+$/.test(email.trim())) p.email = 'Enter a valid email address.';
    if (password && password.length < 8) p.password = 'Use at least 8 characters.';
    setProblems(p);
    if (Object.keys(p).length) return;
    void action.run(async () => {
      const created = await api.identities.create({
        name: name.trim(),
        ...(email.trim() ? { email: email.trim() } : {}),
        ...(firstName.trim() ? { firstName: firstName.trim() } : {}),
        ...(lastName.trim() ? { lastName: lastName.trim() } : {}),
        roles: chosen,
        ...(password ? { password } : {}),
      });
      onSaved(created);
    });
  };

  return (
    <FormDialog
      title="Create identity"
      onClose={onClose}
      busy={action.busy}
      wide
      error={action.error}
      submitLabel="Create identity"
      busyLabel="Creating…"
      onSubmit={submit}
    >
      <TextField
        label="Name"
        error={problems.name ?? null}
        hint="Unique; used to sign in."
        value={name}
        onChange={setName}
        maxLength={128}
        autoComplete="off"
        autoFocus
      />
      <TextField
        label="Email"
        optional
        error={problems.email ?? null}
        type="email"
        value={email}
        onChange={setEmail}
      />
      <div className="field-row">
        <TextField label="First name" optional value={firstName} onChange={setFirstName} />
        <TextField label="Last name" optional value={lastName} onChange={setLastName} />
      </div>
      <RoleCheckboxes legend="Roles" roles={roles} value={chosen} onChange={setChosen} />
      <TextField
        label="Password"
        optional
        error={problems.password ?? null}
        hint="Needed to sign in to the console; programs that only use tokens need none. At least 8 characters."
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
      />
    </FormDialog>
  );
}

function RolesDialog({
  identity,
  roles,
  onClose,
  onSaved,
}: {
  identity: Identity;
  roles: Role[];
  onClose: () => void;
  onSaved: (identity: Identity) => void;
}) {
  const [chosen, setChosen] = useState<string[]>(identity.roles);
  const action = useAction();
  return (
    <FormDialog
      title={`Roles of ${identity.name}`}
      onClose={onClose}
      busy={action.busy}
      description="A role taken away takes effect at once, on every token of this identity."
      error={action.error}
      submitLabel="Save roles"
      busyLabel="Saving…"
      onSubmit={() =>
        action.run(async () => {
          onSaved(await api.identities.update(identity.id, { roles: chosen }));
        })
      }
    >
      <RoleCheckboxes legend="Roles" roles={roles} value={chosen} onChange={setChosen} />
    </FormDialog>
  );
}

function PasswordDialog({
  identity,
  onClose,
  onSaved,
}: {
  identity: Identity;
  onClose: () => void;
  onSaved: (identity: Identity) => void;
}) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const submit = () => {
    if (password.length < 8) return setProblem('Use at least 8 characters.');
    if (password !== repeat) return setProblem('The two passwords differ.');
    setProblem(null);
    void action.run(async () => {
      onSaved(await api.identities.update(identity.id, { password }));
    });
  };
  return (
    <FormDialog
      title={`Reset password of ${identity.name}`}
      onClose={onClose}
      busy={action.busy}
      error={action.error}
      submitLabel="Reset password"
      busyLabel="Saving…"
      onSubmit={submit}
    >
      <TextField
        label="New password"
        hint="At least 8 characters."
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
        autoFocus
      />
      <TextField
        label="Repeat the new password"
        error={problem}
        type="password"
        autoComplete="new-password"
        value={repeat}
        onChange={setRepeat}
      />
    </FormDialog>
  );
}
