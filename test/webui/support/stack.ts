/**
 * What the browser talks to: the server under test (`WEBUI_SERVER=ours`: redis-server and our `labtasker-server
 * serve`; `WEBUI_SERVER=v2`: labtasker 2.8.0's own server on a temporary SQLite database), the recording proxy in
 * front of it, and the official web UI (`labtasker-webui` 0.6.0 from test/webui/.venv) pointed at nothing until the
 * browser connects it through its form.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../../src/store/embeddedRedis.js";
import { cleanEnv, SERVER_BIN, spawnLogged, startRedis, startServer, waitFor, type Proc, type RedisHandle } from "../../faults/support/procs.js";
import { startRecorder, type Recorder } from "./recorder.js";

export const WEBUI_DIR = resolve(import.meta.dirname, "..");
export const VENV_BIN = join(WEBUI_DIR, ".venv/bin");

export type ServerKind = "ours" | "v2";

export function serverKind(): ServerKind {
  const kind = process.env.WEBUI_SERVER ?? "ours";
  if (kind !== "ours" && kind !== "v2") throw new Error(`WEBUI_SERVER must be "ours" or "v2", not "${kind}"`);
  return kind;
}

export interface Stack {
  kind: ServerKind;
  /** The server's own base URL (for the suite's API calls). */
  serverUrl: string;
  /** The server-wide bearer token both servers are started with; the web UI's form gets it too. */
  token: string;
  /** The recording proxy: the URL the web UI is connected to, and what went through it. */
  recorder: Recorder;
  webuiUrl: string;
  logs: { server: string; webui: string };
  stop(): Promise<void>;
}

/** Loopback must never go through a proxy: the web UI's HTTP client (httpx) honours HTTP(S)_PROXY. */
function loopbackEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({ NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost", ...extra });
}

async function answers(url: string, proc: Proc): Promise<boolean> {
  if (!proc.running) throw new Error(`${proc.name} exited: ${proc.log().slice(-2000)}`);
  const response = await fetch(url);
  return response.ok;
}

/** Starts everything; `artifacts` receives the logs. Stops what it started when a later start fails. */
export async function startStack(kind: ServerKind, artifacts: string): Promise<Stack> {
  for (const binary of ["labtasker-webui", "labtasker-server"]) {
    if (!existsSync(join(VENV_BIN, binary))) throw new Error(`${join(VENV_BIN, binary)} is missing: run test/webui/setup_venv.sh`);
  }
  const work = mkdtempSync(join(tmpdir(), "labtasker-webui-"));
  const token = `webui-${randomBytes(12).toString("hex")}`;
  const logs = { server: join(artifacts, "server.log"), webui: join(artifacts, "webui.log") };
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
    stops.length = 0;
    rmSync(work, { recursive: true, force: true });
  };

  try {
    let serverUrl: string;
    if (kind === "ours") {
      if (!existsSync(SERVER_BIN)) throw new Error(`${SERVER_BIN} is missing: run npm run build`);
      const redis: RedisHandle = await startRedis({ dataDir: join(work, "redis") });
      stops.push(() => redis.stop());
      const server = await startServer({ name: "server", redisUrl: redis.url, logDir: artifacts, env: { LABTASKER_SERVER_TOKEN: token } });
      stops.push(() => server.proc.stop());
      serverUrl = server.url;
    } else {
      const port = await freePort();
      const server = spawnLogged(
        "server",
        join(VENV_BIN, "labtasker-server"),
        ["serve", "--connection", "http", "--host", "127.0.0.1", "--port", String(port), "--database", join(work, "server.db")],
        logs.server,
        { env: loopbackEnv({ LABTASKER_SERVER_TOKEN: token }), cwd: work },
      );
      stops.push(() => server.stop());
      serverUrl = `http://127.0.0.1:${port}`;
      await waitFor("labtasker-server 2.8.0 to answer /health", () => answers(`${serverUrl}/health`, server), { timeoutMs: 60_000, intervalMs: 200 });
    }

    const recorder = await startRecorder(serverUrl, join(artifacts, "upstream-requests.jsonl"));
    stops.push(() => recorder.close());

    const webuiPort = await freePort();
    const webui = spawnLogged("webui", join(VENV_BIN, "labtasker-webui"), ["--host", "127.0.0.1", "--port", String(webuiPort), "--no-profile"], logs.webui, {
      env: loopbackEnv(),
      cwd: work,
    });
    stops.push(() => webui.stop());
    const webuiUrl = `http://127.0.0.1:${webuiPort}`;
    await waitFor("labtasker-webui to answer", () => answers(`${webuiUrl}/`, webui), { timeoutMs: 60_000, intervalMs: 200 });

    return { kind, serverUrl, token, recorder, webuiUrl, logs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
