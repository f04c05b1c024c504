import { type ReactNode, useEffect, useId, useLayoutEffect, useRef } from 'react';

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Wider dialog for forms with several columns. */
  wide?: boolean;
  /** Escape and the close button do nothing while an action runs. */
  busy?: boolean;
  /** Shown under the title and read as the dialog's description. */
  description?: ReactNode;
  /** A `data-testid`-free hook for tests and styles. */
  className?: string;
}

/**
 * A modal built on the native <dialog>: the browser makes the rest of the page inert, keeps
 * focus inside, and Escape closes it. Focus returns to where it was when the dialog closes.
 * Render it only while it is open.
 */
export function Dialog({ title, onClose, children, wide, busy, description, className }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const busyRef = useRef(busy);
  busyRef.current = busy;

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const autofocus = dialog.querySelector<HTMLElement>('[data-autofocus]');
    autofocus?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (previous?.isConnected) previous.focus();
    };
  }, []);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const onCancel = (event: Event) => {
      event.preventDefault();
      if (!busyRef.current) onCloseRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => dialog.removeEventListener('cancel', onCancel);
  }, []);

  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog-wide' : ''}${className ? ` ${className}` : ''}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
    >
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close"
          onClick={() => onClose()}
          disabled={busy}
        >
          <span aria-hidden="true">×</span>
        </button>
      </div>
      {description ? (
        <p className="dialog-description" id={descriptionId}>
          {description}
        </p>
      ) : null}
      {children}
    </dialog>
  );
}
