import { type Identity, type Limits, type Role, TokenwardError } from '@tokenward/client/api';
import { type MouseEvent, type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, csrfToken, quietApi, setConnectionHandler, setSessionLostHandler } from './api/tokenward';
import { errorText } from './lib/errors';
import { DEFAULT_LIMITS } from './lib/expiration';
import { permissionsFromRoles } from './lib/permissions';
import { isPlainLeftClick, navigate, useLocationPath } from './lib/router';
import { SessionContext, SessionEndedContext, type SessionInfo } from './lib/session';
import { AuditPage } from './pages/audit';
import { IdentitiesPage } from './pages/identities';
import { KeysPage } from './pages/keys';
import { PersonalTokensPage } from './pages/personal-tokens';
import { RolesPage } from './pages/roles';
import { SessionsPage } from './pages/sessions';
import { SignInPage } from './pages/sign-in';
import { TokensPage } from './pages/tokens';

const IDENTITY_HINT_KEY = 'tokenward.identityId';

interface Route {
  path: string;
  label: string;
  group: 'security' | 'account';
  visible: (can: (p: string) => boolean) => boolean;
  render: () => ReactNode;
}

const ROUTES: Route[] = [
  {
    path: '/tokens',
    label: 'Tokens',
    group: 'security',
    visible: (can) => can('tokens:read'),
    render: () => <TokensPage />,
  },
  {
    path: '/identities',
    label: 'Identities',
    group: 'security',
    visible: (can) => can('identities:read'),
    render: () => <IdentitiesPage />,
  },
  {
    path: '/roles',
    label: 'Roles',
    group: 'security',
    visible: (can) => can('identities:read'),
    render: () => <RolesPage />,
  },
  {
    path: '/sessions',
    label: 'Sessions',
    group: 'security',
    visible: () => true,
    render: () => <SessionsPage />,
  },
  {
    path: '/audit',
    label: 'Audit log',
    group: 'security',
    visible: (can) => can('audit:read'),
    render: () => <AuditPage />,
  },
  {
    path: '/keys',
    label: 'Signing keys',
    group: 'security',
    visible: (can) => can('keys:rotate'),
    render: () => <KeysPage />,
  },
  {
    path: '/personal-tokens',
    label: 'Personal tokens',
    group: 'account',
    visible: () => true,
    render: () => <PersonalTokensPage />,
  },
];

type State =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'unreachable'; error: unknown }
  | { kind: 'signed-in'; info: Omit<SessionInfo, 'signOut' | 'refresh'> };

/** Identity and permissions of the current session: GET /me, else derived from the roles. */
async function loadSession(known?: Identity): Promise<Omit<SessionInfo, 'signOut' | 'refresh' | 'limits'>> {
  try {
    const me = await quietApi.me();
    return {
      identity: me.identity,
      roles: me.roles,
      permissions: new Set(me.permissions),
      permissionsSource: 'server',
    };
  } catch (err) {
    if (!(err instanceof TokenwardError && err.status === 404)) throw err;
  }
  // An older server without GET /me: find the identity, then derive permissions from its roles.
  let identity = known;
  if (!identity) {
    const hint = Number(localStorage.getItem(IDENTITY_HINT_KEY));
    if (Number.isInteger(hint) && hint > 0) {
      identity = await api.identities.get(hint).catch((e: unknown) => {
        if (e instanceof TokenwardError && e.status === 401) throw e;
        return undefined;
      });
    }
  }
  if (!identity) {
    const sessions = await api.sessions.list({ limit: 500, offset: 0 });
    const current = sessions.items.find((s) => s.current);
    if (!current)
      throw new TokenwardError(401, {
        code: 'unauthenticated',
        errorMessage: 'Your session has expired. Sign in again.',
      });
    identity = await api.identities.get(current.identityId);
  }
  let custom: Role[] = [];
  const base = permissionsFromRoles(identity.roles);
  if (base.has('identities:read')) custom = await api.roles.list().catch(() => []);
  return {
    identity,
    roles: identity.roles,
    permissions: permissionsFromRoles(identity.roles, custom),
    permissionsSource: 'roles',
  };
}

async function loadLimits(): Promise<Limits> {
  try {
    return await api.limits();
  } catch (err) {
    if (err instanceof TokenwardError && (err.status === 404 || err.status === 403)) return DEFAULT_LIMITS;
    throw err;
  }
}

export function App() {
  const [state, setState] = useState<State>(() =>
    csrfToken() ? { kind: 'loading' } : { kind: 'signed-out', notice: null },
  );
  const [offline, setOffline] = useState(false);
  const path = useLocationPath();

  const establish = useCallback(async (known?: Identity) => {
    const [info, limits] = await Promise.all([loadSession(known), loadLimits()]);
    localStorage.setItem(IDENTITY_HINT_KEY, String(info.identity.id));
    setState({ kind: 'signed-in', info: { ...info, limits } });
  }, []);

  const start = useCallback(() => {
    setState({ kind: 'loading' });
    establish().catch((err: unknown) => {
      if (err instanceof TokenwardError && err.status === 401) {
        setState({ kind: 'signed-out', notice: 'Your session has expired. Sign in again.' });
      } else {
        setState({ kind: 'unreachable', error: err });
      }
    });
  }, [establish]);

  // Only on first load: later changes go through sign-in and sign-out.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once, on mount.
  useEffect(() => {
    if (csrfToken()) start();
  }, []);

  useEffect(() => {
    setSessionLostHandler(() =>
      setState((s) =>
        s.kind === 'signed-in'
          ? { kind: 'signed-out', notice: 'Your session has expired. Sign in again.' }
          : s,
      ),
    );
    setConnectionHandler((online) => setOffline(!online));
    const goOffline = () => setOffline(true);
    const goOnline = () => setOffline(false);
    window.addEventListener('offline', goOffline);
    window.addEventListener('online', goOnline);
    return () => {
      setSessionLostHandler(null);
      setConnectionHandler(null);
      window.removeEventListener('offline', goOffline);
      window.removeEventListener('online', goOnline);
    };
  }, []);

  const doSignOut = useCallback(async () => {
    try {
      await quietApi.sessions.signOut();
    } catch (err) {
      // Signing out of a session that is already gone is still signing out.
      if (!(err instanceof TokenwardError && (err.status === 401 || err.status === 403))) throw err;
    }
    localStorage.removeItem(IDENTITY_HINT_KEY);
    setState({ kind: 'signed-out', notice: 'You have signed out.' });
  }, []);

  const banner = offline ? (
    <div className="connection-banner" role="alert">
      Connection lost: the Tokenward server cannot be reached. Check your network; what you do now may not be
      saved.
    </div>
  ) : null;

  if (state.kind === 'loading') {
    return (
      <>
        {banner}
        <p className="splash" role="status">
          Loading Tokenward…
        </p>
      </>
    );
  }
  if (state.kind === 'unreachable') {
    return (
      <>
        {banner}
        <main className="splash">
          <h1>Tokenward</h1>
          <p role="alert">{errorText(state.error)}</p>
          <button type="button" className="button button-primary" onClick={start}>
            Try again
          </button>
        </main>
      </>
    );
  }
  if (state.kind === 'signed-out') {
    return (
      <>
        {banner}
        <SignInPage notice={state.notice} onSignedIn={(identity) => establish(identity)} />
      </>
    );
  }
  return (
    <SignedIn
      info={state.info}
      path={path}
      banner={banner}
      signOut={doSignOut}
      refresh={() => establish()}
      onSessionEnded={() => {
        localStorage.removeItem(IDENTITY_HINT_KEY);
        setState({ kind: 'signed-out', notice: 'You ended this session.' });
      }}
    />
  );
}

function NavLink({
  to,
  children,
  current,
  onNavigate,
}: {
  to: string;
  children: ReactNode;
  current: boolean;
  onNavigate: () => void;
}) {
  return (
    <a
      href={to}
      aria-current={current ? 'page' : undefined}
      onClick={(event: MouseEvent<HTMLAnchorElement>) => {
        if (!isPlainLeftClick(event)) return;
        event.preventDefault();
        navigate(to);
        onNavigate();
      }}
    >
      {children}
    </a>
  );
}

function SignedIn({
  info,
  path,
  banner,
  signOut: doSignOut,
  refresh,
  onSessionEnded,
}: {
  info: Omit<SessionInfo, 'signOut' | 'refresh'>;
  path: string;
  banner: ReactNode;
  signOut: () => Promise<void>;
  refresh: () => Promise<void>;
  onSessionEnded: () => void;
}) {
  const [menuOpen, setMenuOpen] = useState(false);
  const [signOutError, setSignOutError] = useState<unknown>(null);
  const session = useMemo<SessionInfo>(
    () => ({ ...info, signOut: doSignOut, refresh }),
    [info, doSignOut, refresh],
  );
  const can = (p: string) => info.permissions.has(p);
  const routes = ROUTES.filter((r) => r.visible(can));
  const home = routes[0]?.path ?? '/sessions';
  const route = routes.find((r) => r.path === path || path.startsWith(`${r.path}/`));
  const firstRender = useRef(true);

  useEffect(() => {
    // The start page, or a page of the console this identity may not see (after signing in
    // as someone else where the last one left off): go to the first page it may see.
    const forbidden = !route && ROUTES.some((r) => r.path === path);
    if (path === '/' || path === '' || forbidden) navigate(home, { replace: true });
  }, [path, home, route]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation, which `path` marks.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    // Move focus to the new page's heading so keyboard and screen-reader users land there.
    document.getElementById('page-title')?.focus();
  }, [path]);

  const group = (g: Route['group']) =>
    routes
      .filter((r) => r.group === g)
      .map((r) => (
        <li key={r.path}>
          <NavLink to={r.path} current={route?.path === r.path} onNavigate={() => setMenuOpen(false)}>
            {r.label}
          </NavLink>
        </li>
      ));

  return (
    <SessionContext.Provider value={session}>
      <SessionEndedContext.Provider value={onSessionEnded}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        {banner}
        <header className="topbar">
          <button
            type="button"
            className="button menu-button"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            Menu
          </button>
          <a
            className="brand"
            href={home}
            onClick={(e) => {
              if (!isPlainLeftClick(e)) return;
              e.preventDefault();
              navigate(home);
            }}
          >
            Tokenward
          </a>
          <div className="topbar-user">
            <span className="signed-in-as">
              Signed in as <strong>{info.identity.name}</strong>
            </span>
            <button
              type="button"
              className="button button-small"
              onClick={() => {
                setSignOutError(null);
                doSignOut().catch(setSignOutError);
              }}
            >
              Sign out
            </button>
          </div>
        </header>
        {signOutError ? (
          <div className="alert alert-error" role="alert">
            {errorText(signOutError)}
          </div>
        ) : null}
        <div className="layout">
          <nav id="main-nav" className={`sidebar${menuOpen ? ' open' : ''}`} aria-label="Main">
            <p className="nav-group" id="nav-security">
              Security
            </p>
            <ul aria-labelledby="nav-security">{group('security')}</ul>
            <p className="nav-group" id="nav-account">
              Your account
            </p>
            <ul aria-labelledby="nav-account">{group('account')}</ul>
          </nav>
          <main id="main" tabIndex={-1}>
            {route ? (
              route.render()
            ) : path === '/' ? null : (
              <div>
                <h1 id="page-title" tabIndex={-1}>
                  Page not found
                </h1>
                <p>
                  There is no page at <code>{path}</code>, or your roles do not let you see it.{' '}
                  <a href={home}>Go to the start page</a>.
                </p>
              </div>
            )}
          </main>
        </div>
      </SessionEndedContext.Provider>
    </SessionContext.Provider>
  );
}
