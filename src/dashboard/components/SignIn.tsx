import { useState } from "preact/hooks";
import { api, ApiError, type SessionInfo } from "../api.js";

/** A queue's name and password (labtasker v1's credentials). */
export function SignIn({ onSignedIn }: { onSignedIn: (session: SessionInfo) => void }) {
  const [queueName, setQueueName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      onSignedIn(await api.signIn(queueName, password));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "The server is unreachable; try again.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="signin" onSubmit={(event) => void submit(event)} aria-labelledby="signin-title">
      <h1 id="signin-title">labtasker</h1>
      <p class="muted">Sign in with a queue's name and password (as in <code>.labtasker/client.toml</code>).</p>
      <label for="queue-name">Queue</label>
      <input id="queue-name" name="queue_name" autoComplete="username" required value={queueName} onInput={(e) => setQueueName(e.currentTarget.value)} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>Sign in</button>
        {error && <span class="error-text" role="alert">{error}</span>}
      </div>
    </form>
  );
}
