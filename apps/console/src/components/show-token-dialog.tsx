import type { Token } from '@tokenward/client/api';
import { useId, useRef, useState } from 'react';
import { formatDateTime } from '../lib/format';
import { Dialog } from './dialog';

type CopyState = 'idle' | 'copied' | 'failed';

/** Copies text: the Clipboard API where the page may use it, else the selection fallback. */
async function copyText(text: string, block: HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Permission refused or no focus: try the selection fallback below.
  }
  if (!block) return false;
  selectContents(block);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** Selects all the text of an element, so that Ctrl+C copies it. */
function selectContents(element: HTMLElement): void {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

/**
 * Shows a new token's value, once. The value lives only in this dialog's props: closing it
 * drops the last reference the console holds.
 */
export function ShowTokenDialog({
  token,
  onClose,
  title = 'Copy your new token',
}: {
  token: Token & { token: string };
  onClose: () => void;
  title?: string;
}) {
  const [copy, setCopy] = useState<CopyState>('idle');
  const codeRef = useRef<HTMLElement>(null);
  const labelId = useId();
  const warningId = useId();

  return (
    <Dialog title={title} onClose={onClose} className="show-token-dialog">
      <div className="dialog-body">
        <p className="alert alert-warning" id={warningId}>
          <strong>Copy this token now.</strong> It will not be shown again: Tokenward keeps only a hash of it.
          If you lose it, revoke it and create a new one.
        </p>
        <p className="label" id={labelId}>
          Token value
        </p>
        {/* The whole value, wrapped if it must be, in a code block with its Copy button (as GitHub shows a new token). */}
        <div className="token-box">
          <figure className="token-value" aria-labelledby={labelId} aria-describedby={warningId}>
            <pre>
              <code
                ref={codeRef}
                // biome-ignore lint/a11y/noNoninteractiveTabindex: focusable so that a keyboard user can select and copy the value.
                tabIndex={0}
                onFocus={(e) => selectContents(e.currentTarget)}
                data-autofocus
              >
                {token.token}
              </code>
            </pre>
          </figure>
          <button
            type="button"
            className="button button-primary"
            onClick={async () =>
              setCopy((await copyText(token.token, codeRef.current)) ? 'copied' : 'failed')
            }
          >
            {copy === 'copied' ? 'Copied' : 'Copy'}
          </button>
        </div>
        <p className="small" role="status" aria-live="polite">
          {copy === 'copied'
            ? 'The token is on your clipboard.'
            : copy === 'failed'
              ? 'Copying is not allowed here: the value is selected, copy it with Ctrl+C (⌘C).'
              : ''}
        </p>
        <dl className="token-summary">
          {token.name ? (
            <>
              <dt>Name</dt>
              <dd>{token.name}</dd>
            </>
          ) : null}
          <dt>Identity</dt>
          <dd>{token.identity.name}</dd>
          {token.roles.length > 0 ? (
            <>
              <dt>Roles</dt>
              <dd>{token.roles.join(', ')}</dd>
            </>
          ) : null}
          <dt>Expires</dt>
          <dd>{formatDateTime(token.expiration)}</dd>
          {token.apiEndpoints && token.apiEndpoints.length > 0 ? (
            <>
              <dt>Endpoints</dt>
              <dd className="mono">{token.apiEndpoints.join(', ')}</dd>
            </>
          ) : null}
        </dl>
      </div>
      <div className="dialog-footer">
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
