import { type FormEvent, useState } from 'react';
import type { TokenView } from '../api/types';
import { Dialog } from './dialog';
import { Field } from './field';
import { ErrorMessage } from './ui';

/** Changes a token's name and description (its value, roles and expiry cannot change). */
export function EditTokenDialog({
  token,
  onSave,
  onClose,
  requireName,
}: {
  token: TokenView;
  onSave: (patch: { name: string; description: string }) => Promise<void>;
  onClose: () => void;
  requireName?: boolean;
}) {
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [nameError, setNameError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (requireName && name.trim() === '') {
      setNameError('Give the token a name.');
      return;
    }
    setNameError(null);
    setBusy(true);
    setError(null);
    try {
      await onSave({ name: name.trim(), description: description.trim() });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog title="Edit token" onClose={onClose} busy={busy} description={`Token ending in …${token.hint}`}>
      <form onSubmit={submit} noValidate>
        <div className="dialog-body">
          <Field label="Name" optional={!requireName} error={nameError}>
            {(props) => (
              <input
                {...props}
                value={name}
                maxLength={128}
                data-autofocus
                onChange={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Description" optional>
            {(props) => (
              <textarea
                {...props}
                rows={3}
                value={description}
                maxLength={2000}
                onChange={(e) => setDescription(e.currentTarget.value)}
              />
            )}
          </Field>
          <ErrorMessage error={error} />
        </div>
        <div className="dialog-footer">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
