import type { AuditEvent } from '@tokenward/client/api';
import { useId, useState } from 'react';
import { api } from '../api/tokenward';
import { FilterBar } from '../components/filter-bar';
import { ListTable } from '../components/list-table';
import { DateText, PageHeader } from '../components/ui';
import { useLoader } from '../lib/use-loader';

const PAGE_SIZE = 50;

/** Actions the server records, offered as suggestions; any other text (or `token.*`) works too. */
const KNOWN_ACTIONS = [
  'signin',
  'signout',
  'session.end',
  'token.*',
  'token.grant',
  'token.import',
  'token.update',
  'token.revoke',
  'token.exchange',
  'token.client_credentials',
  'token.authenticate',
  'identity.*',
  'identity.create',
  'identity.update',
  'identity.delete',
  'identity.client_keys',
  'identity.client_keys_removed',
  'role.*',
  'role.create',
  'role.update',
  'role.delete',
  'keys.rotate',
];

interface Filters {
  actor: string;
  action: string;
  outcome: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { actor: '', action: '', outcome: '', since: '', until: '' };

/** A datetime-local value (browser time) as an ISO instant for the API. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function detailText(details: Record<string, unknown> | null): string {
  if (!details) return '';
  return Object.entries(details)
    .map(
      ([k, v]) =>
        `${k}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`,
    )
    .join('; ');
}

function target(e: AuditEvent): string {
  if (!e.targetType) return '';
  return e.targetId ? `${e.targetType} #${e.targetId}` : e.targetType;
}

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [offset, setOffset] = useState(0);
  const [rangeError, setRangeError] = useState<string | null>(null);
  const id = useId();
  const events = useLoader(
    () =>
      api.audit({
        ...(filters.actor.trim() ? { actor: filters.actor.trim() } : {}),
        ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
        ...(filters.outcome === 'success' || filters.outcome === 'failure'
          ? { outcome: filters.outcome }
          : {}),
        ...(localToIso(filters.since) ? { since: localToIso(filters.since) } : {}),
        ...(localToIso(filters.until) ? { until: localToIso(filters.until) } : {}),
        limit: PAGE_SIZE,
        offset,
      }),
    [filters, offset],
  );
  const page = events.data;

  const apply = () => {
    const since = localToIso(draft.since);
    const until = localToIso(draft.until);
    if (since && until && since > until) {
      setRangeError('“From” must be before “To”.');
      return;
    }
    setRangeError(null);
    setFilters(draft);
    setOffset(0);
  };
  const set = (key: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [key]: e.currentTarget.value });

  return (
    <>
      <PageHeader title="Audit log" context="Security" />
      <p className="lead">
        Who granted, imported, revoked and exchanged tokens, who signed in (and who failed to), and who
        changed roles. Newest first; token values are never recorded.
      </p>
      <FilterBar label="Filter the audit log" onSubmit={apply}>
        <div className="field">
          <label htmlFor={`${id}-actor`}>Actor</label>
          <input id={`${id}-actor`} value={draft.actor} placeholder="Name or id" onChange={set('actor')} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-action`}>Action</label>
          <input
            id={`${id}-action`}
            list={`${id}-actions`}
            value={draft.action}
            placeholder="e.g. token.*"
            onChange={set('action')}
          />
          <datalist id={`${id}-actions`}>
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor={`${id}-outcome`}>Outcome</label>
          <select id={`${id}-outcome`} value={draft.outcome} onChange={set('outcome')}>
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-since`}>From</label>
          <input id={`${id}-since`} type="datetime-local" value={draft.since} onChange={set('since')} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-until`}>To</label>
          <input id={`${id}-until`} type="datetime-local" value={draft.until} onChange={set('until')} />
        </div>
        <div className="filter-buttons">
          <button type="submit" className="button button-primary">
            Filter
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setOffset(0);
              setRangeError(null);
            }}
          >
            Clear
          </button>
        </div>
      </FilterBar>
      {rangeError ? (
        <p className="alert alert-error" role="alert">
          {rangeError}
        </p>
      ) : null}
      <ListTable
        loaded={events}
        items={page?.items}
        what="audit events"
        empty="No event matches."
        caption="Audit events"
        columns={['Time', 'Actor', 'Action', 'Outcome', 'Target', 'IP address', 'Details']}
        pagination={{
          label: 'Audit events',
          total: page?.total,
          limit: PAGE_SIZE,
          offset,
          onChange: setOffset,
        }}
      >
        {(e) => (
          <tr key={e.id} data-audit-id={e.id}>
            <td data-label="Time" className="nowrap">
              <DateText iso={e.at} />
            </td>
            <td data-label="Actor">{e.actor.name ?? (e.actor.id === null ? '—' : `#${e.actor.id}`)}</td>
            <td data-label="Action" className="mono">
              {e.action}
            </td>
            <td data-label="Outcome">
              <span className={`badge ${e.outcome === 'success' ? 'badge-active' : 'badge-revoked'}`}>
                {e.outcome === 'success' ? 'Success' : e.outcome === 'failure' ? 'Failure' : e.outcome}
              </span>
            </td>
            <td data-label="Target">{target(e) || <span className="muted">—</span>}</td>
            <td data-label="IP address" className="mono">
              {e.ip ?? '—'}
            </td>
            <td data-label="Details" className="details small">
              {detailText(e.details)}
            </td>
          </tr>
        )}
      </ListTable>
    </>
  );
}
