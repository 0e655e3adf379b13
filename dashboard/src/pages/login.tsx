import { useState } from 'preact/hooks';
import { login, type Session } from '../api.ts';
import { errorText, Notice } from '../components.tsx';

/** The login form: an API token (viewer, operator or admin) starts a browser session. */
export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await login(token.trim()));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <h1>Bulwark</h1>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellcheck={false} required value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} aria-describedby="token-hint" />
        <p id="token-hint" class="hint">
          Create one with <code>bulwark tokens create NAME --role viewer</code> (or operator, admin).
        </p>
        <button type="submit" disabled={busy}>
          Log in
        </button>
        {error && <Notice kind="error">{error}</Notice>}
      </form>
    </main>
  );
}
