import type { Identity } from '@tokenward/client/api';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { quietApi } from '../api/tokenward';
import { ErrorMessage } from '../components/ui';

/** Username and password; the server sets the session and CSRF cookies. */
export function SignInPage({
  notice,
  onSignedIn,
}: {
  notice: string | null;
  onSignedIn: (identity: Identity) => Promise<void>;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const userId = useId();
  const passwordId = useId();
  const userRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Tokenward';
    userRef.current?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setMissing(null);
    if (username.trim() === '' || password === '') {
      setMissing(username.trim() === '' ? 'Enter your username or email.' : 'Enter your password.');
      return;
    }
    setBusy(true);
    try {
      const result = await quietApi.sessions.signInBrowser(username.trim(), password);
      setPassword('');
      await onSignedIn(result.identity);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title" noValidate>
        <p className="brand brand-large" aria-hidden="true">
          Tokenward
        </p>
        <h1 id="signin-title">Sign in</h1>
        {notice ? (
          <p className="alert alert-info" role="status">
            {notice}
          </p>
        ) : null}
        <div className="field">
          <label htmlFor={userId}>Username or email</label>
          <input
            ref={userRef}
            id={userId}
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor={passwordId}>Password</label>
          <input
            id={passwordId}
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </div>
        <ErrorMessage error={error} />
        {missing ? (
          <p className="alert alert-error" role="alert">
            {missing}
          </p>
        ) : null}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
