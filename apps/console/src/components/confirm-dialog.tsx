import type { ReactNode } from 'react';
import { useAction } from '../lib/use-action';
import { Dialog } from './dialog';
import { ErrorMessage } from './ui';

/** Asks before a consequential action; shows the action's error in place if it fails. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { busy, error, run } = useAction();
  return (
    <Dialog title={title} onClose={onClose} busy={busy} className="confirm-dialog">
      <div className="dialog-body">
        {children}
        <ErrorMessage error={error} />
      </div>
      <div className="dialog-footer">
        <button type="button" className="button" onClick={onClose} disabled={busy} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          className={`button ${danger ? 'button-danger' : 'button-primary'}`}
          disabled={busy}
          onClick={() => run(onConfirm)}
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
