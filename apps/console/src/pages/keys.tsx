import { useState } from 'react';
import { api } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ListTable } from '../components/list-table';
import { Announcement, DateText, PageHeader } from '../components/ui';
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
  const keys = useLoader(() => api.keys.list(), []);
  const [rotating, setRotating] = useState(false);
  const [announce, setAnnounce] = useState('');

  return (
    <>
      <PageHeader
        title="Signing keys"
        context="Security"
        action={canRotate ? { label: 'Rotate key', onClick: () => setRotating(true) } : null}
      />
      <p className="lead">
        Access tokens are signed with the active key. Other services verify them offline with the public keys
        at <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>. After a rotation the previous key
        stays published until the tokens it signed have expired.
      </p>
      <Announcement message={announce} />
      <ListTable
        loaded={keys}
        items={keys.data}
        what="signing keys"
        empty="No signing key yet."
        caption="Signing keys"
        columns={['Key id', 'Algorithm', 'Status', 'Created', 'Published until']}
      >
        {(k) => (
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
              {k.publishedUntil ? <DateText iso={k.publishedUntil} /> : <span className="muted">—</span>}
            </td>
          </tr>
        )}
      </ListTable>
      {rotating ? (
        <ConfirmDialog
          title="Rotate the signing key?"
          confirmLabel="Rotate key"
          onClose={() => setRotating(false)}
          onConfirm={async () => {
            const key = await api.keys.rotate();
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
