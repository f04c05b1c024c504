import type { Session } from '@tokenward/client/api';
import { useContext, useState } from 'react';
import { api, serverNow } from '../api/tokenward';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ListTable } from '../components/list-table';
import { Announcement, DateText, PageHeader } from '../components/ui';
import { describeUserAgent } from '../lib/format';
import { SessionEndedContext, useCan, useSession } from '../lib/session';
import { useLoader } from '../lib/use-loader';

const PAGE_SIZE = 50;

export function SessionsPage() {
  const { identity: self } = useSession();
  const can = useCan();
  const onSessionEnded = useContext(SessionEndedContext);
  const seesAll = can('sessions:read');
  const [offset, setOffset] = useState(0);
  const [ending, setEnding] = useState<Session | null>(null);
  const [announce, setAnnounce] = useState('');
  const sessions = useLoader(() => api.sessions.list({ limit: PAGE_SIZE, offset }), [offset]);
  const names = useLoader(
    () =>
      seesAll && can('identities:read')
        ? api.identities
            .list({ limit: 500, offset: 0 })
            .then((p) => new Map(p.items.map((i) => [i.id, i.name])))
        : Promise.resolve(new Map([[self.id, self.name]])),
    [],
  );
  const page = sessions.data;
  const nowMs = serverNow();
  const mayEnd = (s: Session) => s.identityId === self.id || can('sessions:revoke');

  return (
    <>
      <PageHeader title="Sessions" context="Security" />
      <p className="lead">
        {seesAll
          ? 'Signed-in console sessions of every identity. Ending one signs that browser out at once.'
          : 'Where you are signed in. End a session you do not recognise, then change your password.'}
      </p>
      <Announcement message={announce} />
      <ListTable
        loaded={sessions}
        items={page?.items}
        what="sessions"
        empty="No active sessions."
        caption="Sessions"
        columns={['Identity', 'Browser', 'IP address', 'Signed in', 'Last seen', 'Expires']}
        actions
        pagination={{ label: 'Sessions', total: page?.total, limit: PAGE_SIZE, offset, onChange: setOffset }}
      >
        {(s) => (
          <tr key={s.id} data-session-id={s.id}>
            <td data-label="Identity">
              {names.data?.get(s.identityId) ?? `#${s.identityId}`}
              {s.current ? <span className="badge badge-current">This session</span> : null}
            </td>
            <td data-label="Browser" title={s.userAgent ?? undefined}>
              {describeUserAgent(s.userAgent)}
            </td>
            <td data-label="IP address" className="mono">
              {s.ip ?? '—'}
            </td>
            <td data-label="Signed in">
              <DateText iso={s.created} />
            </td>
            <td data-label="Last seen">
              <DateText iso={s.lastSeen} nowMs={nowMs} style="relative" />
            </td>
            <td data-label="Expires">
              <DateText iso={s.expires} />
            </td>
            <td data-label="Actions" className="actions">
              {mayEnd(s) ? (
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  aria-label={s.current ? 'End this session (sign out)' : `End session ${s.id}`}
                  onClick={() => setEnding(s)}
                >
                  End
                </button>
              ) : null}
            </td>
          </tr>
        )}
      </ListTable>
      {ending ? (
        <ConfirmDialog
          title={ending.current ? 'End this session?' : 'End session?'}
          confirmLabel="End session"
          danger
          onClose={() => setEnding(null)}
          onConfirm={async () => {
            await api.sessions.end(ending.id);
            setEnding(null);
            if (ending.current) {
              onSessionEnded();
              return;
            }
            setAnnounce('Session ended.');
            sessions.reload();
          }}
        >
          <p>
            {ending.current
              ? 'This is the session you are using: ending it signs you out of this browser.'
              : `The browser using this session (${describeUserAgent(ending.userAgent)}, ${ending.ip ?? 'unknown address'}) is signed out at once.`}
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
