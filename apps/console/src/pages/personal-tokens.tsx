import { type FormEvent, useId, useState } from 'react';
import { serverNow } from '../api/client';
import {
  createPersonalToken,
  listPersonalTokens,
  revokePersonalToken,
  updatePersonalToken,
} from '../api/endpoints';
import type { TokenStatus, TokenView } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Dialog } from '../components/dialog';
import { EditTokenDialog } from '../components/edit-token-dialog';
import { ExpirationField } from '../components/expiration-field';
import { Field } from '../components/field';
import { ShowTokenDialog } from '../components/show-token-dialog';
import {
  DataTable,
  DateText,
  Empty,
  ErrorMessage,
  Loading,
  PageHeader,
  Pagination,
  StatusBadge,
} from '../components/ui';
import { defaultChoice, type ExpirationChoice, resolveExpiration } from '../lib/expiration';
import { useSession } from '../lib/session';
import { deriveStatus } from '../lib/status';
import { useLoader } from '../lib/use-loader';
import { tokenLabel } from './tokens';

const PAGE_SIZE = 25;

/** Seed 003: the signed-in person's own tokens: status, create, edit, revoke. */
export function PersonalTokensPage() {
  const { identity, roles } = useSession();
  // Personal tokens are one's own: the server needs no permission beyond holding a role (a
  // token carries the holder's roles, so it can never do more than the holder).
  const canCreate = roles.length > 0;
  const canRevoke = true;
  const [status, setStatus] = useState<TokenStatus | ''>('');
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<(TokenView & { token: string }) | null>(null);
  const [editing, setEditing] = useState<TokenView | null>(null);
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const [announce, setAnnounce] = useState('');
  const statusId = useId();
  const tokens = useLoader(() => listPersonalTokens({ status, limit: PAGE_SIZE, offset }), [status, offset]);
  const nowMs = serverNow();
  const page = tokens.data;

  return (
    <>
      <PageHeader
        title="Personal tokens"
        context="Your account"
        actions={
          canCreate ? (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              Create token
            </button>
          ) : null
        }
      />
      <p className="lead">
        Personal access tokens let your scripts act as <strong>{identity.name}</strong>. Exchange one for a
        short-lived bearer token with{' '}
        <code>POST /api/v1/PersonalTokens/authenticate?username=…&amp;personalToken=…</code>, or send it as{' '}
        <code>Authorization: Bearer …</code>.
      </p>

      <search aria-label="Filter personal tokens">
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor={statusId}>Status</label>
            <select
              id={statusId}
              value={status}
              onChange={(e) => {
                setStatus(e.currentTarget.value as TokenStatus | '');
                setOffset(0);
              }}
            >
              <option value="">All statuses</option>
              <option value="Active">Active</option>
              <option value="Revoked">Revoked</option>
              <option value="Expired">Expired</option>
            </select>
          </div>
        </form>
      </search>

      <p className="visually-hidden" role="status" aria-live="polite">
        {announce}
      </p>
      <ErrorMessage error={tokens.error} onRetry={tokens.reload} />
      {!page && tokens.loading ? <Loading what="personal tokens" /> : null}
      {page && page.items.length === 0 ? (
        <Empty>{status ? 'No personal token has this status.' : 'You have no personal tokens yet.'}</Empty>
      ) : null}
      {page && page.items.length > 0 ? (
        <DataTable caption="Your personal tokens" busy={tokens.loading}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Expiration</th>
              <th scope="col">Last used</th>
              <th scope="col">Hint</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((t) => {
              const st = deriveStatus(t, nowMs);
              return (
                <tr key={t.id} data-token-id={t.id}>
                  <td data-label="Name">{t.name || <span className="muted">Unnamed</span>}</td>
                  <td data-label="Description">{t.description || <span className="muted">—</span>}</td>
                  <td data-label="Status">
                    <StatusBadge status={st} />
                  </td>
                  <td data-label="Created" className="nowrap">
                    <DateText iso={t.created} style="date" />
                  </td>
                  <td data-label="Expiration" className="nowrap">
                    <DateText iso={t.expiration} style="date" />
                  </td>
                  <td data-label="Last used">
                    <DateText iso={t.lastUsed} nowMs={nowMs} style="relative" />
                  </td>
                  <td data-label="Hint" className="mono nowrap">
                    …{t.hint}
                  </td>
                  <td data-label="Actions" className="actions">
                    {canCreate && st === 'Active' ? (
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={`Edit token ${tokenLabel(t)}`}
                        onClick={() => setEditing(t)}
                      >
                        Edit
                      </button>
                    ) : null}
                    {canRevoke && st === 'Active' ? (
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        aria-label={`Revoke token ${tokenLabel(t)}`}
                        onClick={() => setRevoking(t)}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </DataTable>
      ) : null}
      {page ? (
        <Pagination
          label="Personal tokens"
          total={page.total}
          limit={PAGE_SIZE}
          offset={offset}
          onChange={setOffset}
        />
      ) : null}

      {creating ? (
        <CreatePersonalTokenDialog
          onClose={() => setCreating(false)}
          onCreated={(token) => {
            setCreating(false);
            setCreated(token);
            setAnnounce('Personal token created.');
            tokens.reload();
          }}
        />
      ) : null}
      {created ? (
        <ShowTokenDialog token={created} title="Copy your personal token" onClose={() => setCreated(null)} />
      ) : null}
      {editing ? (
        <EditTokenDialog
          token={editing}
          requireName
          onClose={() => setEditing(null)}
          onSave={async (patch) => {
            await updatePersonalToken(editing.id, patch);
            setEditing(null);
            setAnnounce('Personal token updated.');
            tokens.reload();
          }}
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke personal token?"
          confirmLabel="Revoke token"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await revokePersonalToken(revoking.id);
            setRevoking(null);
            setAnnounce(`Personal token ${tokenLabel(revoking)} revoked.`);
            tokens.reload();
          }}
        >
          <p>
            Revoke {tokenLabel(revoking)}? Scripts using it, and bearer tokens obtained with it, stop working.
            This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function CreatePersonalTokenDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (token: TokenView & { token: string }) => void;
}) {
  const { limits } = useSession();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [expiration, setExpiration] = useState<ExpirationChoice>(() => defaultChoice(limits.personal));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const nowMs = serverNow();
  const expiry = resolveExpiration(expiration, nowMs, limits.personal, 'personal tokens');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '') {
      setNameError('Give the token a name, so you can recognise it later.');
      return;
    }
    setNameError(null);
    const final = resolveExpiration(expiration, serverNow(), limits.personal, 'personal tokens');
    if (!final.ok) return;
    setBusy(true);
    setError(null);
    try {
      const token = await createPersonalToken({
        name: name.trim(),
        description: description.trim(),
        expiration: new Date(final.expiresAtMs).toISOString(),
      });
      if (!token.token) throw new Error('The server did not return the token value.');
      onCreated(token as TokenView & { token: string });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog title="Create personal token" onClose={onClose} busy={busy} wide>
      <form onSubmit={submit} noValidate>
        <div className="dialog-body">
          <Field label="Name" error={nameError} hint="For your reference, e.g. “laptop backup script”.">
            {(props) => (
              <input
                {...props}
                value={name}
                maxLength={128}
                required
                data-autofocus
                onChange={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Description" optional>
            {(props) => (
              <textarea
                {...props}
                rows={2}
                value={description}
                maxLength={2000}
                onChange={(e) => setDescription(e.currentTarget.value)}
              />
            )}
          </Field>
          <ExpirationField
            value={expiration}
            onChange={setExpiration}
            limits={limits.personal}
            nowMs={nowMs}
            what="personal tokens"
          />
          <ErrorMessage error={error} />
        </div>
        <div className="dialog-footer">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || !expiry.ok}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
