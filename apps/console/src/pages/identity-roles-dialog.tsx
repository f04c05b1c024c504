import type { Identity, Role } from '@tokenward/client/api';
import { useState } from 'react';
import { api } from '../api/tokenward';
import { FormDialog } from '../components/form-dialog';
import { RoleCheckboxes } from '../components/role-checkboxes';
import { useAction } from '../lib/use-action';

/** Changes the roles an identity holds. */
export function RolesDialog({
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
