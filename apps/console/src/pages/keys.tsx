import { useState } from 'react';
import { api } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ListTable } from '../components/list-table';
import { Announcement, DateText, PageHeader } from '../components/ui';
import { useCan } from '../lib/session';
import { useLoader } from '../lib/use-loader';

const STATUS_TEXT: Record<string, string> = {
  pending: 'Pending (in the key set, signs later)',
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
        stays published until the tokens it signed have expired. A new key is published at once and signs only
        from its start time, so services that cached the key set have fetched it by then.
      </p>
      <Announcement message={announce} />
      <ListTable
        loaded={keys}
        items={keys.data}
        what="signing keys"
        empty="No signing key yet."
        caption="Signing keys"
        columns={['Key id', 'Algorithm', 'Status', 'Created', 'Signs from', 'Published until']}
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
            <td data-label="Signs from">
              <DateText iso={k.activeFrom} />
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
            setAnnounce(
              key.status === 'active'
                ? `New signing key ${key.kid} is active.`
                : `New signing key ${key.kid} is published; it signs from ${new Date(key.activeFrom).toLocaleString()}.`,
            );
            keys.reload();
          }}
        >
          <p>
            A new key is published at once and signs access tokens after the publication delay (a couple of
            minutes), so services that cache the key set know it first. Tokens signed with the current key
            stay valid: it remains published until they expire. Rotate on a schedule; for a key that may have
            leaked, use <code>tokenward keys rotate --now</code>.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
