import { useState } from 'react';
import { listKeys, rotateKey } from '../api/endpoints';
import { ConfirmDialog } from '../components/confirm-dialog';
import { DataTable, DateText, Empty, ErrorMessage, Loading, PageHeader } from '../components/ui';
import { useCan } from '../lib/session';
import { useLoader } from '../lib/use-loader';

const STATUS_TEXT: Record<string, string> = {
  active: 'Active (signs new tokens)',
  published: 'Published (verifies only)',
  retired: 'Retired',
};

/** Signing keys of short-lived access tokens (JWTs); public parts are at /.well-known/jwks.json. */
export function KeysPage() {
  const can = useCan();
  const canRotate = can('keys:rotate');
  const keys = useLoader(() => listKeys(), []);
  const [rotating, setRotating] = useState(false);
  const [announce, setAnnounce] = useState('');
  const items = keys.data?.items;

  return (
    <>
      <PageHeader
        title="Signing keys"
        context="Security"
        actions={
          canRotate ? (
            <button type="button" className="button button-primary" onClick={() => setRotating(true)}>
              Rotate key
            </button>
          ) : null
        }
      />
      <p className="lead">
        Access tokens are signed with the active key. Other services verify them offline with the public keys
        at <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>. After a rotation the previous key
        stays published until the tokens it signed have expired.
      </p>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announce}
      </p>
      <ErrorMessage error={keys.error} onRetry={keys.reload} />
      {!items && keys.loading ? <Loading what="signing keys" /> : null}
      {items && items.length === 0 ? <Empty>No signing key yet.</Empty> : null}
      {items && items.length > 0 ? (
        <DataTable caption="Signing keys" busy={keys.loading}>
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Published until</th>
            </tr>
          </thead>
          <tbody>
            {items.map((k) => (
              <tr key={k.kid} data-kid={k.kid}>
                <td data-label="Key id" className="mono">
                  {k.kid}
                </td>
                <td data-label="Algorithm">{k.alg}</td>
                <td data-label="Status">
                  <span className={`badge badge-key-${k.status}`}>{STATUS_TEXT[k.status] ?? k.status}</span>
                </td>
                <td data-label="Created">
                  <DateText iso={k.created} />
                </td>
                <td data-label="Published until">
                  {(k.publishedUntil ?? k.expires) ? (
                    <DateText iso={k.publishedUntil ?? k.expires ?? null} />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      {rotating ? (
        <ConfirmDialog
          title="Rotate the signing key?"
          confirmLabel="Rotate key"
          onClose={() => setRotating(false)}
          onConfirm={async () => {
            const key = await rotateKey();
            setRotating(false);
            setAnnounce(`New signing key ${key.kid} is active.`);
            keys.reload();
          }}
        >
          <p>
            A new key signs access tokens from now on. Tokens signed with the current key stay valid: it
            remains published until they expire. Rotate when a key may have leaked, or on a schedule.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
