import type { Identity, Role } from '@tokenward/client/api';
import { useState } from 'react';
import { api } from '../api/tokenward';
import { FormDialog } from '../components/form-dialog';
import { RoleCheckboxes } from '../components/role-checkboxes';
import { TextField } from '../components/text-field';
import { useAction } from '../lib/use-action';

/** Creates an identity, or edits an existing one's name, email and names. */
export function IdentityDialog({
  identity,
  roles,
  onClose,
  onSaved,
}: {
  /** The identity to edit (name, email, names); absent to create one. */
  identity?: Identity;
  roles: Role[];
  onClose: () => void;
  onSaved: (identity: Identity) => void;
}) {
  const [name, setName] = useState(identity?.name ?? '');
  const [email, setEmail] = useState(identity?.email ?? '');
  const [firstName, setFirstName] = useState(identity?.firstName ?? '');
  const [lastName, setLastName] = useState(identity?.lastName ?? '');
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
      if (identity) {
        // PUT replaces the fields given: an emptied field is cleared.
        onSaved(
          await api.identities.update(identity.id, {
            name: name.trim(),
            email: email.trim() || null,
            firstName: firstName.trim() || null,
            lastName: lastName.trim() || null,
          }),
        );
        return;
      }
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
      title={identity ? `Edit ${identity.name}` : 'Create identity'}
      onClose={onClose}
      busy={action.busy}
      wide
      error={action.error}
      submitLabel={identity ? 'Save identity' : 'Create identity'}
      busyLabel={identity ? 'Saving…' : 'Creating…'}
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
      {identity ? null : (
        <>
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
        </>
      )}
    </FormDialog>
  );
}
