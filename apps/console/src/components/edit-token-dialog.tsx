import type { Token } from '@tokenward/client/api';
import { useState } from 'react';
import { useAction } from '../lib/use-action';
import { FormDialog } from './form-dialog';
import { TextField } from './text-field';

/** Changes a token's name and description (its value, roles and expiry cannot change). */
export function EditTokenDialog({
  token,
  onSave,
  onClose,
  requireName,
}: {
  token: Token;
  onSave: (patch: { name: string; description: string }) => Promise<void>;
  onClose: () => void;
  requireName?: boolean;
}) {
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description);
  const [nameError, setNameError] = useState<string | null>(null);
  const action = useAction();

  const submit = () => {
    if (requireName && name.trim() === '') {
      setNameError('Give the token a name.');
      return;
    }
    setNameError(null);
    void action.run(() => onSave({ name: name.trim(), description: description.trim() }));
  };

  return (
    <FormDialog
      title="Edit token"
      onClose={onClose}
      busy={action.busy}
      description={`Token ending in …${token.hint}`}
      error={action.error}
      submitLabel="Save"
      busyLabel="Saving…"
      onSubmit={submit}
    >
      <TextField
        label="Name"
        optional={!requireName}
        error={nameError}
        value={name}
        onChange={setName}
        maxLength={128}
        autoFocus
      />
      <TextField
        label="Description"
        optional
        rows={3}
        value={description}
        onChange={setDescription}
        maxLength={2000}
      />
    </FormDialog>
  );
}
