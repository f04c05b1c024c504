import type { Role } from '@tokenward/client/api';
import { useId, useState } from 'react';
import { api } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { FormDialog } from '../components/form-dialog';
import { ListTable } from '../components/list-table';
import { TextField } from '../components/text-field';
import { Announcement, PageHeader } from '../components/ui';
import { isManagementPermission, PERMISSION_GROUPS, PERMISSION_PATTERN } from '../lib/permissions';
import { useCan, useSession } from '../lib/session';
import { useAction } from '../lib/use-action';
import { useLoader } from '../lib/use-loader';

type Action = { kind: 'create' } | { kind: 'edit'; role: Role } | { kind: 'delete'; role: Role };

export function RolesPage() {
  const can = useCan();
  const { refresh, roles: myRoles } = useSession();
  const canWrite = can('roles:write');
  const roles = useLoader(() => api.roles.list(), []);
  const [action, setAction] = useState<Action | null>(null);
  const [announce, setAnnounce] = useState('');

  const done = async (message: string, role?: string) => {
    setAction(null);
    setAnnounce(message);
    roles.reload();
    if (role && myRoles.some((r) => r.toLowerCase() === role.toLowerCase())) await refresh();
  };

  return (
    <>
      <PageHeader
        title="Roles"
        context="Security"
        action={canWrite ? { label: 'Create role', onClick: () => setAction({ kind: 'create' }) } : null}
      />
      <p className="lead">
        A role is a named set of permissions. The built-in roles Administrator, Operator and Reader cannot be
        changed; custom roles can carry the management API’s permissions and your own APIs’ (like{' '}
        <code>billing:read</code>).
      </p>
      <Announcement message={announce} />
      <ListTable
        loaded={roles}
        items={roles.data}
        what="roles"
        empty="No roles."
        caption="Roles"
        columns={['Name', 'Description', 'Permissions']}
        actions={canWrite}
      >
        {(r) => (
          <tr key={r.name} data-role={r.name}>
            <td data-label="Name">
              <strong>{r.name}</strong>{' '}
              {r.builtin ? <span className="badge badge-builtin">Built-in</span> : null}
            </td>
            <td data-label="Description">{r.description || <span className="muted">—</span>}</td>
            <td data-label="Permissions">
              <span className="chips">
                {r.permissions.map((p) => (
                  <span key={p} className={`chip mono${isManagementPermission(p) ? '' : ' chip-custom'}`}>
                    {p}
                  </span>
                ))}
              </span>
            </td>
            {canWrite ? (
              <td data-label="Actions" className="actions">
                {r.builtin ? (
                  <span className="muted small">Read-only</span>
                ) : (
                  <>
                    <button
                      type="button"
                      className="button button-small"
                      aria-label={`Edit role ${r.name}`}
                      onClick={() => setAction({ kind: 'edit', role: r })}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button button-small button-danger-outline"
                      aria-label={`Delete role ${r.name}`}
                      onClick={() => setAction({ kind: 'delete', role: r })}
                    >
                      Delete
                    </button>
                  </>
                )}
              </td>
            ) : null}
          </tr>
        )}
      </ListTable>

      {action?.kind === 'create' || action?.kind === 'edit' ? (
        <RoleDialog
          role={action.kind === 'edit' ? action.role : null}
          onClose={() => setAction(null)}
          onSaved={(role) =>
            done(
              action.kind === 'edit' ? `Role ${role.name} saved.` : `Role ${role.name} created.`,
              role.name,
            )
          }
        />
      ) : null}
      {action?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete role ${action.role.name}?`}
          confirmLabel="Delete role"
          danger
          onClose={() => setAction(null)}
          onConfirm={async () => {
            await api.roles.delete(action.role.name);
            await done(`Role ${action.role.name} deleted.`);
          }}
        >
          <p>A role can be deleted only while no identity or token holds it.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/** Create or edit a custom role: management permissions as checkboxes, custom ones as a list. */
function RoleDialog({
  role,
  onClose,
  onSaved,
}: {
  role: Role | null;
  onClose: () => void;
  onSaved: (role: Role) => void;
}) {
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [management, setManagement] = useState<string[]>(
    () => role?.permissions.filter((p) => isManagementPermission(p)) ?? [],
  );
  const [custom, setCustom] = useState<string[]>(
    () => role?.permissions.filter((p) => !isManagementPermission(p)) ?? [],
  );
  const [customInput, setCustomInput] = useState('');
  const [customError, setCustomError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const action = useAction();
  const customId = useId();

  const addCustom = () => {
    const value = customInput.trim().toLowerCase();
    if (!value) return;
    if (!PERMISSION_PATTERN.test(value)) {
      setCustomError('Write a permission as resource:action in lowercase, e.g. billing:read or orders:*.');
      return;
    }
    setCustomError(null);
    if (isManagementPermission(value)) {
      if (!management.includes(value)) setManagement([...management, value]);
    } else if (!custom.includes(value)) {
      setCustom([...custom, value]);
    }
    setCustomInput('');
  };

  const submit = () => {
    if (!role && !/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(name.trim())) {
      setNameError(
        'Use letters, digits, spaces, dots, dashes or underscores (up to 64), starting with a letter or digit.',
      );
      return;
    }
    setNameError(null);
    const permissions = [...management, ...custom];
    void action.run(async () => {
      onSaved(
        role
          ? await api.roles.update(role.name, { description: description.trim(), permissions })
          : await api.roles.create({ name: name.trim(), description: description.trim(), permissions }),
      );
    });
  };

  return (
    <FormDialog
      title={role ? `Edit role ${role.name}` : 'Create role'}
      onClose={onClose}
      busy={action.busy}
      wide
      error={action.error}
      submitLabel={role ? 'Save role' : 'Create role'}
      busyLabel="Saving…"
      onSubmit={submit}
    >
      {role ? null : (
        <TextField label="Name" error={nameError} value={name} onChange={setName} maxLength={64} autoFocus />
      )}
      <TextField
        label="Description"
        optional
        value={description}
        onChange={setDescription}
        maxLength={2000}
        autoFocus={role !== null}
      />
      <div className="permission-groups">
        {PERMISSION_GROUPS.map((group) => (
          <fieldset key={group.label} className="field">
            <legend>{group.label}</legend>
            <div className="checkbox-list">
              {group.permissions.map(([perm, label]) => (
                <label key={perm} className="checkbox">
                  <input
                    type="checkbox"
                    checked={management.includes(perm)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setManagement((m) => (on ? [...m, perm] : m.filter((p) => p !== perm)));
                    }}
                  />
                  <span>
                    <span className="mono">{perm}</span>
                    <span className="cell-note">{label}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
        ))}
      </div>
      <fieldset className="field">
        <legend>Custom permissions</legend>
        <p className="hint">Permissions your own APIs check, e.g. billing:read.</p>
        {custom.length ? (
          <ul className="chips chip-list" aria-label="Custom permissions of this role">
            {custom.map((p) => (
              <li key={p} className="chip chip-custom mono">
                {p}
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove ${p}`}
                  onClick={() => setCustom(custom.filter((c) => c !== p))}
                >
                  <span aria-hidden="true">×</span>
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        <div className="copy-row">
          <label htmlFor={customId} className="visually-hidden">
            Add a custom permission
          </label>
          <input
            id={customId}
            className="mono"
            placeholder="billing:read"
            value={customInput}
            aria-invalid={customError ? true : undefined}
            aria-describedby={customError ? `${customId}-error` : undefined}
            onChange={(e) => setCustomInput(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                addCustom();
              }
            }}
          />
          <button type="button" className="button" onClick={addCustom}>
            Add permission
          </button>
        </div>
        {customError ? (
          <p className="field-error" id={`${customId}-error`}>
            {customError}
          </p>
        ) : null}
      </fieldset>
    </FormDialog>
  );
}
