import type { Identity } from '@tokenward/client/api';
import { useState } from 'react';
import { api } from '../api/tokenward';
import { FormDialog } from '../components/form-dialog';
import { TextField } from '../components/text-field';
import { useAction } from '../lib/use-action';

/** Sets a new password for an identity. */
export function PasswordDialog({
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
