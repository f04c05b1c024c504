import type { Identity, Token } from '@tokenward/client/api';
import { useId, useState } from 'react';
import { api, serverNow } from '../api/tokenward';
import { ExpirationField } from '../components/expiration-field';
import { Field } from '../components/field';
import { FormDialog } from '../components/form-dialog';
import { TextField } from '../components/text-field';
import { parseEndpointsInput } from '../lib/endpoints-input';
import { defaultChoice, type ExpirationChoice, resolveExpiration } from '../lib/expiration';
import { useSession } from '../lib/session';
import { withTokenValue } from '../lib/token-value';
import { useAction } from '../lib/use-action';

/**
 * Seed 001's "Grant App Token" dialog: identity, role(s), expiration; plus name, description
 * and an optional endpoint allow-list. A token's roles must be roles its identity holds.
 */
export function GrantTokenDialog({
  identities,
  canGrantAny,
  onClose,
  onGranted,
}: {
  /** Identities to choose from; null when the caller may grant only to itself. */
  identities: Identity[] | null;
  canGrantAny: boolean;
  onClose: () => void;
  onGranted: (token: Token & { token: string }) => void;
}) {
  const session = useSession();
  const limits = session.limits.appToken;
  const self = session.identity;
  const choices = canGrantAny && identities ? identities.filter((i) => i.enabled) : [self];
  if (!choices.some((i) => i.id === self.id)) choices.unshift(self);
  const [identityId, setIdentityId] = useState<number>(self.id);
  const identity = choices.find((i) => i.id === identityId) ?? self;
  const [roles, setRoles] = useState<string[]>(() => [...identity.roles]);
  const [expiration, setExpiration] = useState<ExpirationChoice>(() => defaultChoice(limits));
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [scope, setScope] = useState<'all' | 'custom'>('all');
  const [endpointsText, setEndpointsText] = useState('');
  const action = useAction();
  const [submitted, setSubmitted] = useState(false);
  const rolesLegendId = useId();
  const scopeName = useId();

  const nowMs = serverNow();
  const expiry = resolveExpiration(expiration, nowMs, limits, 'app tokens');
  const endpoints = scope === 'custom' ? parseEndpointsInput(endpointsText) : null;
  const rolesError =
    identity.roles.length === 0 ? null : roles.length === 0 ? 'Choose at least one role.' : null;
  const valid = expiry.ok && !rolesError && identity.roles.length > 0 && (endpoints === null || endpoints.ok);

  const submit = () => {
    setSubmitted(true);
    if (!valid) return;
    // Recompute at the moment of sending: "the maximum" must still be within the limit.
    const final = resolveExpiration(expiration, serverNow(), limits, 'app tokens');
    if (!final.ok) return;
    void action.run(async () => {
      // The caller's own token needs no tokens:grant-any.
      const token = await api.appTokens.grant(
        {
          roles,
          expiration: new Date(final.expiresAtMs).toISOString(),
          ...(name.trim() ? { name: name.trim() } : {}),
          ...(description.trim() ? { description: description.trim() } : {}),
          ...(endpoints?.ok && endpoints.endpoints.length > 0 ? { apiEndpoints: endpoints.endpoints } : {}),
        },
        identity.id === self.id ? undefined : identity.id,
      );
      onGranted(withTokenValue(token));
    });
  };

  return (
    <FormDialog
      title="Grant App Token"
      onClose={onClose}
      busy={action.busy}
      wide
      className="grant-dialog"
      error={action.error}
      submitLabel="Grant token"
      busyLabel="Granting…"
      submitDisabled={!expiry.ok}
      onSubmit={submit}
    >
      <Field
        label="Identity"
        hint={
          canGrantAny
            ? 'Who the token is for. It acts with this identity’s roles, never more.'
            : 'You may grant tokens only to yourself.'
        }
      >
        {(props) => (
          <select
            {...props}
            value={identity.id}
            disabled={!canGrantAny || choices.length < 2}
            data-autofocus
            onChange={(e) => {
              const next = choices.find((i) => i.id === Number(e.currentTarget.value));
              setIdentityId(Number(e.currentTarget.value));
              setRoles(next ? [...next.roles] : []);
            }}
          >
            {choices.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
                {i.id === self.id ? ' (you)' : ''}
              </option>
            ))}
          </select>
        )}
      </Field>

      <fieldset className="field" aria-describedby={`${rolesLegendId}-hint`}>
        <legend>Role(s)</legend>
        {identity.roles.length === 0 ? (
          <p className="field-error" id={`${rolesLegendId}-hint`}>
            {identity.name} holds no role, so a token for it could do nothing. Give it a role on the
            Identities page first.
          </p>
        ) : (
          <>
            <div className="checkbox-list">
              {identity.roles.map((role) => (
                <label key={role} className="checkbox">
                  <input
                    type="checkbox"
                    checked={roles.includes(role)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setRoles((rs) => (on ? [...rs, role] : rs.filter((r) => r !== role)));
                    }}
                  />
                  {role}
                </label>
              ))}
            </div>
            <p className="hint" id={`${rolesLegendId}-hint`}>
              The roles {identity.name} holds. If the identity loses a role later, its tokens lose it at once.
            </p>
            {submitted && rolesError ? <p className="field-error">{rolesError}</p> : null}
          </>
        )}
      </fieldset>

      <ExpirationField
        value={expiration}
        onChange={setExpiration}
        limits={limits}
        nowMs={nowMs}
        what="app tokens"
      />

      <TextField
        label="Name"
        optional
        hint="Helps people recognise the token later, e.g. “CI deploy”."
        value={name}
        onChange={setName}
        maxLength={128}
      />
      <TextField
        label="Description"
        optional
        rows={2}
        value={description}
        onChange={setDescription}
        maxLength={2000}
      />

      <fieldset className="field">
        <legend>Endpoint scope</legend>
        <label className="radio">
          <input type="radio" name={scopeName} checked={scope === 'all'} onChange={() => setScope('all')} />
          Every endpoint its roles allow
        </label>
        <label className="radio">
          <input
            type="radio"
            name={scopeName}
            checked={scope === 'custom'}
            onChange={() => setScope('custom')}
          />
          Only the endpoints listed
        </label>
        {scope === 'custom' ? (
          <TextField
            label="Allowed endpoints"
            hint="One per line: a method and a path, * matches within a segment, a trailing /* the rest. Example: GET /api/v1/apptoken/*"
            error={submitted && endpoints && !endpoints.ok ? endpoints.error : null}
            className="mono"
            rows={3}
            value={endpointsText}
            placeholder={'GET /api/v1/identity/*\nPOST /api/orders'}
            onChange={setEndpointsText}
          />
        ) : null}
      </fieldset>
    </FormDialog>
  );
}
