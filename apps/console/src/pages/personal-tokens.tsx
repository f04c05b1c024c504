import type { Token, TokenStatus } from '@tokenward/client/api';
import { useState } from 'react';
import { api, serverNow, withoutEmpty } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { EditTokenDialog } from '../components/edit-token-dialog';
import { ExpirationField } from '../components/expiration-field';
import { FilterBar } from '../components/filter-bar';
import { FormDialog } from '../components/form-dialog';
import { ListTable } from '../components/list-table';
import { ShowTokenDialog } from '../components/show-token-dialog';
import { StatusFilter } from '../components/status-filter';
import { TextField } from '../components/text-field';
import { TOKEN_CELL_COLUMNS, TokenCells } from '../components/token-cells';
import { Announcement, PageHeader, StatusBadge } from '../components/ui';
import { defaultChoice, type ExpirationChoice, resolveExpiration } from '../lib/expiration';
import { tokenLabel } from '../lib/format';
import { useSession } from '../lib/session';
import { deriveStatus } from '../lib/status';
import { withTokenValue } from '../lib/token-value';
import { useAction } from '../lib/use-action';
import { useLoader } from '../lib/use-loader';
import { usePageOffset } from '../lib/use-page-offset';

const PAGE_SIZE = 25;

/** Seed 003: the signed-in person's own tokens: status, create, edit, revoke. */
export function PersonalTokensPage() {
  const { identity, roles } = useSession();
  // Personal tokens are one's own: the server needs no permission beyond holding a role (a
  // token carries the holder's roles, so it can never do more than the holder).
  const canCreate = roles.length > 0;
  const canRevoke = true;
  const [status, setStatus] = useState<TokenStatus | ''>('');
  const { offset, setOffset, toFirstPage } = usePageOffset();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<(Token & { token: string }) | null>(null);
  const [editing, setEditing] = useState<Token | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [announce, setAnnounce] = useState('');
  const tokens = useLoader(
    () => api.personalTokens.list(withoutEmpty({ status, limit: PAGE_SIZE, offset })),
    [status, offset],
  );
  const nowMs = serverNow();
  const page = tokens.data;

  return (
    <>
      <PageHeader
        title="Personal tokens"
        context="Your account"
        action={canCreate ? { label: 'Create token', onClick: () => setCreating(true) } : null}
      />
      <p className="lead">
        Personal access tokens let your scripts act as <strong>{identity.name}</strong>. Exchange one for a
        short-lived bearer token with{' '}
        <code>POST /api/v1/PersonalTokens/authenticate?username=…&amp;personalToken=…</code>, or send it as{' '}
        <code>Authorization: Bearer …</code>.
      </p>

      <FilterBar label="Filter personal tokens">
        <StatusFilter value={status} onChange={toFirstPage(setStatus)} />
      </FilterBar>

      <Announcement message={announce} />
      <ListTable
        loaded={tokens}
        items={page?.items}
        what="personal tokens"
        empty={status ? 'No personal token has this status.' : 'You have no personal tokens yet.'}
        caption="Your personal tokens"
        columns={['Name', 'Description', 'Status', ...TOKEN_CELL_COLUMNS]}
        actions
        pagination={{
          label: 'Personal tokens',
          total: page?.total,
          limit: PAGE_SIZE,
          offset,
          onChange: setOffset,
        }}
      >
        {(t) => {
          const st = deriveStatus(t, nowMs);
          return (
            <tr key={t.id} data-token-id={t.id}>
              <td data-label="Name">{t.name || <span className="muted">Unnamed</span>}</td>
              <td data-label="Description">{t.description || <span className="muted">—</span>}</td>
              <td data-label="Status">
                <StatusBadge status={st} />
              </td>
              <TokenCells
                token={t}
                status={st}
                nowMs={nowMs}
                canEdit={canCreate}
                canRevoke={canRevoke}
                onEdit={() => setEditing(t)}
                onRevoke={() => setRevoking(t)}
              />
            </tr>
          );
        }}
      </ListTable>

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
            await api.personalTokens.update(editing.id, patch);
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
            await api.personalTokens.revoke(revoking.id);
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
  onCreated: (token: Token & { token: string }) => void;
}) {
  const { limits } = useSession();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [expiration, setExpiration] = useState<ExpirationChoice>(() => defaultChoice(limits.personal));
  const [nameError, setNameError] = useState<string | null>(null);
  const action = useAction();
  const nowMs = serverNow();
  const expiry = resolveExpiration(expiration, nowMs, limits.personal, 'personal tokens');

  const submit = () => {
    if (name.trim() === '') {
      setNameError('Give the token a name, so you can recognise it later.');
      return;
    }
    setNameError(null);
    const final = resolveExpiration(expiration, serverNow(), limits.personal, 'personal tokens');
    if (!final.ok) return;
    void action.run(async () => {
      const token = await api.personalTokens.create({
        name: name.trim(),
        description: description.trim(),
        expiration: new Date(final.expiresAtMs).toISOString(),
      });
      onCreated(withTokenValue(token));
    });
  };

  return (
    <FormDialog
      title="Create personal token"
      onClose={onClose}
      busy={action.busy}
      wide
      error={action.error}
      submitLabel="Create token"
      busyLabel="Creating…"
      submitDisabled={!expiry.ok}
      onSubmit={submit}
    >
      <TextField
        label="Name"
        error={nameError}
        hint="For your reference, e.g. “laptop backup script”."
        value={name}
        onChange={setName}
        maxLength={128}
        required
        autoFocus
      />
      <TextField
        label="Description"
        optional
        rows={2}
        value={description}
        onChange={setDescription}
        maxLength={2000}
      />
      <ExpirationField
        value={expiration}
        onChange={setExpiration}
        limits={limits.personal}
        nowMs={nowMs}
        what="personal tokens"
      />
    </FormDialog>
  );
}
