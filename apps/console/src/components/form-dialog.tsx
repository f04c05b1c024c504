import type { FormEvent } from 'react';
import { Dialog, type DialogProps } from './dialog';
import { ErrorMessage } from './ui';

/**
 * A dialog around one form: the fields, the action's error under them, and Cancel beside the
 * submit button, which says it is working while the action runs. The console checks the fields
 * itself (noValidate), so its messages sit beside the field they are about.
 */
export function FormDialog({
  children,
  error,
  submitLabel,
  busyLabel,
  submitDisabled,
  onSubmit,
  ...dialog
}: DialogProps & {
  error: unknown;
  submitLabel: string;
  busyLabel: string;
  submitDisabled?: boolean;
  onSubmit: () => void;
}) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <Dialog {...dialog}>
      <form onSubmit={submit} noValidate>
        <div className="dialog-body">
          {children}
          <ErrorMessage error={error} />
        </div>
        <div className="dialog-footer">
          <button type="button" className="button" onClick={dialog.onClose} disabled={dialog.busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={dialog.busy || submitDisabled}>
            {dialog.busy ? busyLabel : submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
