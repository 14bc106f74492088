import { useState } from "preact/hooks";
import { api, ApiError, type SessionInfo } from "../api.js";

/** A queue's name and its password (labtasker v1's credentials), or the server's token (labtasker v2's). */
export function SignIn({ onSignedIn }: { onSignedIn: (session: SessionInfo) => void }) {
  const [queueName, setQueueName] = useState("");
  const [password, setPassword] = useState("");
  const [kind, setKind] = useState<"password" | "token">("password");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      onSignedIn(await api.signIn(queueName, password, kind));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "The server is unreachable; try again.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="signin" onSubmit={(event) => void submit(event)} aria-labelledby="signin-title">
      <h1 id="signin-title">labtasker</h1>
      <p class="muted">
        Sign in with a queue's name and password (as in <code>.labtasker/client.toml</code>), or with the server's token
        (<code>serve --token</code>) and the name of the queue to open.
      </p>
      <label for="queue-name">Queue</label>
      <input id="queue-name" name="queue_name" autoComplete="username" required value={queueName} onInput={(e) => setQueueName(e.currentTarget.value)} />
      <label for="password">{kind === "password" ? "Password" : "Token"}</label>
      <input id="password" name={kind} type="password" autoComplete={kind === "password" ? "current-password" : "off"} required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>Sign in</button>
        <button type="button" class="link" onClick={() => { setKind(kind === "password" ? "token" : "password"); setPassword(""); setError(""); }}>
          {kind === "password" ? "Use the server's token instead" : "Use the queue's password instead"}
        </button>
        {error && <span class="error-text" role="alert">{error}</span>}
      </div>
    </form>
  );
}
