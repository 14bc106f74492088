import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, UnreachableError, type SessionInfo } from "../api.js";
import { publish } from "../bus.js";
import { followQueue, type LiveState } from "../live.js";
import { readView, writeView, TABS, type View } from "../view.js";
import { SignIn } from "./SignIn.js";
import { Overview } from "./Overview.js";
import { Tasks } from "./Tasks.js";
import { Workers } from "./Workers.js";
import { Plots } from "./Plots.js";
import { TaskDetail } from "./TaskDetail.js";
import { ThemeToggle } from "./ThemeToggle.js";

/** Signed in or not: the session decides which page shows. */
export function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [unreachable, setUnreachable] = useState(false);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () => {
      api.session().then(
        (found) => {
          setUnreachable(false);
          setSession(found);
        },
        (error: unknown) => {
          if (error instanceof UnreachableError) setUnreachable(true);
          timer = setTimeout(check, 3000);
        },
      );
    };
    check();
    api.onSignedOut = () => setSession(null);
    return () => clearTimeout(timer);
  }, []);

  if (session === undefined) {
    return <main><p class="muted" role="status">{unreachable ? "The server is unreachable, retrying…" : "Loading…"}</p></main>;
  }
  if (session === null) return <SignIn onSignedIn={setSession} />;
  return <Dashboard session={session} onSignedOut={() => setSession(null)} />;
}

function Dashboard({ session, onSignedOut }: { session: SessionInfo; onSignedOut: () => void }) {
  const [view, setViewState] = useState<View>(() => readView(location.search));
  const [live, setLive] = useState<LiveState>("connecting");
  const [reachable, setReachable] = useState(true);
  /** Bumped on each (re)connection of the event stream: what is shown may have missed events. */
  const [epoch, setEpoch] = useState(0);
  const [help, setHelp] = useState(false);
  const viewRef = useRef(view);
  viewRef.current = view;

  const setView = useCallback((patch: Partial<View>, mode: "push" | "replace" = "push") => {
    const next = { ...viewRef.current, ...patch };
    viewRef.current = next;
    setViewState(next);
    const url = writeView(next);
    if (mode === "push") history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }, []);

  useEffect(() => {
    const onPop = () => setViewState(readView(location.search));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);

  useEffect(() => {
    api.onReachability = setReachable;
    // No work while the tab is hidden: the stream is closed then, and opened again (with everything shown read
    // again, as after a reconnection) when the tab shows.
    const follow = () => followQueue({ onEvent: publish, onConnected: () => setEpoch((n) => n + 1), onState: setLive });
    let stop: (() => void) | undefined = document.hidden ? undefined : follow();
    const onVisibility = () => {
      if (document.hidden) {
        stop?.();
        stop = undefined;
      } else if (stop === undefined) {
        stop = follow();
        setEpoch((n) => n + 1);
      }
    };
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      stop?.();
    };
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest("input, textarea, select, [contenteditable]") || event.ctrlKey || event.metaKey || event.altKey) return;
      const index = ["1", "2", "3", "4"].indexOf(event.key);
      if (index >= 0) {
        setView({ tab: TABS[index]! });
        event.preventDefault();
      } else if (event.key === "/") {
        if (viewRef.current.tab !== "tasks" && viewRef.current.tab !== "plots") setView({ tab: "tasks" });
        setTimeout(() => document.getElementById("filter-input")?.focus(), 0);
        event.preventDefault();
      } else if (event.key === "?") {
        setHelp((shown) => !shown);
      } else if (event.key === "Escape") {
        if (help) setHelp(false);
        else if (viewRef.current.task) setView({ task: "" });
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [help, setView]);

  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    onSignedOut();
  };

  const liveText = live === "live" ? "live" : live === "connecting" ? "connecting…" : "reconnecting…";
  return (
    <>
      <header class="top">
        <h1>labtasker</h1>
        <span class="queue" title={session.queue_id}>{session.queue_name}</span>
        <nav class="tabs" role="tablist" aria-label="Views">
          {TABS.map((tab, i) => (
            <button role="tab" aria-selected={view.tab === tab} key={tab} title={`${tab} (${i + 1})`} onClick={() => setView({ tab })}>
              {tab[0]!.toUpperCase() + tab.slice(1)}
            </button>
          ))}
        </nav>
        <span class="spacer" />
        <span class={`live live-${live}`} role="status" data-live={live}>{liveText}</span>
        <button onClick={() => setHelp(true)} title="Keyboard shortcuts (?)">?</button>
        <ThemeToggle />
        <button onClick={() => void signOut()}>Sign out</button>
      </header>
      {!reachable && <div class="banner error" role="alert">The server is unreachable, retrying…</div>}
      {reachable && live === "reconnecting" && <div class="banner" role="status">Live updates interrupted, reconnecting…</div>}
      <main>
        {view.tab === "overview" && <Overview epoch={epoch} setView={setView} />}
        {view.tab === "tasks" && <Tasks view={view} setView={setView} epoch={epoch} />}
        {view.tab === "workers" && <Workers epoch={epoch} />}
        {view.tab === "plots" && <Plots view={view} setView={setView} />}
      </main>
      {view.task && <TaskDetail taskId={view.task} onClose={() => setView({ task: "" })} />}
      {help && <Help onClose={() => setHelp(false)} />}
    </>
  );
}

function Help({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog class="help" ref={ref} onClose={onClose} aria-label="Keyboard shortcuts">
      <h2>Keyboard</h2>
      <dl class="facts">
        <dt><kbd>1</kbd>–<kbd>4</kbd></dt><dd>Overview, Tasks, Workers, Plots</dd>
        <dt><kbd>/</kbd></dt><dd>the filter box</dd>
        <dt><kbd>j</kbd> <kbd>k</kbd></dt><dd>next / previous task in the table</dd>
        <dt><kbd>Enter</kbd></dt><dd>open the task</dd>
        <dt><kbd>x</kbd></dt><dd>select the task</dd>
        <dt><kbd>[</kbd> <kbd>]</kbd></dt><dd>previous / next page</dd>
        <dt><kbd>Esc</kbd></dt><dd>close the task or this help</dd>
      </dl>
      <form method="dialog"><button class="primary">Close</button></form>
    </dialog>
  );
}
