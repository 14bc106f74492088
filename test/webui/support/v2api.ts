/**
 * Plain fetch calls to labtasker v2's HTTP API (/api/v2), for seeding the queue the web UI shows and for reading the
 * server's state back after each action in the browser. Deliberately not our client: the same calls must work against
 * labtasker 2.8.0's own server.
 */

export interface V2Task {
  id: string;
  queue: string;
  status: "pending" | "running" | "succeeded" | "failed" | "cancelled";
  archived: boolean;
  name: string | null;
  args: Record<string, unknown>;
  metadata: Record<string, unknown>;
  priority: number;
  attempt: number;
  max_attempts: number;
  routes: string[];
  result: Record<string, unknown>;
  progress: Record<string, unknown> | null;
  last_error: { type: string; message: string; traceback: string | null; attempt: number; run_id: string } | null;
}

export interface V2Worker {
  id: string;
  route: string;
  status: "idle" | "busy";
  task_id: string | null;
  metadata: Record<string, unknown>;
}

export interface V2Answer<T = unknown> {
  status: number;
  body: T;
}

export type TaskStatus = V2Task["status"];
export const STATUSES: TaskStatus[] = ["pending", "running", "succeeded", "failed", "cancelled"];

export class V2Api {
  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined,
  ) {}

  /** One request; the answer's JSON body (or null for an empty one) and status, whatever the status. */
  async call<T = unknown>(method: string, path: string, options: { body?: unknown; query?: Record<string, string | number | boolean | undefined> } = {}): Promise<V2Answer<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** Like {@link call}, but throws with the server's answer unless the status is one of `expected`. */
  async ok<T = unknown>(expected: number[], method: string, path: string, options: Parameters<V2Api["call"]>[2] = {}): Promise<T> {
    const answer = await this.call<T>(method, path, options);
    if (!expected.includes(answer.status)) {
      throw new Error(`${method} ${path} answered ${answer.status} (expected ${expected.join(" or ")}): ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  private tasks(queue: string): string {
    return `/api/v2/queues/${encodeURIComponent(queue)}/tasks`;
  }

  createQueue(queue: string) {
    return this.ok([200, 201], "PUT", `/api/v2/queues/${encodeURIComponent(queue)}`);
  }

  putTask(queue: string, id: string, task: { name: string; args: Record<string, unknown>; metadata?: Record<string, unknown>; priority?: number; max_attempts?: number; routes?: string[] }) {
    return this.ok<V2Task>([201], "PUT", `${this.tasks(queue)}/${id}`, { body: task });
  }

  async claim(queue: string, route: string, runId: string): Promise<V2Task> {
    const body = await this.ok<{ task: V2Task; run_id: string }>([200], "POST", `${this.tasks(queue)}/claim`, { body: { route, run_id: runId } });
    return body.task;
  }

  heartbeat(queue: string, id: string, runId: string) {
    return this.ok([200], "POST", `${this.tasks(queue)}/${id}/heartbeat`, { body: { run_id: runId } });
  }

  progress(queue: string, id: string, runId: string, progress: Record<string, unknown>) {
    return this.ok([204], "POST", `${this.tasks(queue)}/${id}/progress`, { body: { run_id: runId, progress } });
  }

  complete(queue: string, id: string, runId: string, result: Record<string, unknown>) {
    return this.ok([204], "POST", `${this.tasks(queue)}/${id}/complete`, { body: { run_id: runId, result } });
  }

  fail(queue: string, id: string, runId: string, error: { type: string; message: string; traceback: string | null }) {
    return this.ok([204], "POST", `${this.tasks(queue)}/${id}/fail`, { body: { run_id: runId, error } });
  }

  cancel(queue: string, id: string) {
    return this.ok<V2Task>([200], "POST", `${this.tasks(queue)}/${id}/cancel`);
  }

  /** The task, or null when the server answers 404 `task_not_found`. */
  async getTask(queue: string, id: string): Promise<V2Task | null> {
    const answer = await this.call<V2Task & { error?: { code: string } }>("GET", `${this.tasks(queue)}/${id}`);
    if (answer.status === 404 && answer.body.error?.code === "task_not_found") return null;
    if (answer.status !== 200) throw new Error(`GET task ${id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Every task the selection matches (follows next_cursor). */
  async listTasks(queue: string, query: { filter?: string; status?: TaskStatus; include_archived?: boolean } = {}): Promise<V2Task[]> {
    const items: V2Task[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ok<{ items: V2Task[]; next_cursor: string | null }>([200], "GET", this.tasks(queue), { query: { ...query, limit: 1000, cursor } });
      items.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return items;
  }

  async count(queue: string, query: { filter?: string; status?: TaskStatus; include_archived?: boolean } = {}): Promise<number> {
    const body = await this.ok<{ count: number }>([200], "GET", `${this.tasks(queue)}/count`, { query });
    return body.count;
  }

  /** The count per status, one plain count each (as the web UI's overview asks). */
  async countsByStatus(queue: string): Promise<Record<TaskStatus, number>> {
    const entries = await Promise.all(STATUSES.map(async (status) => [status, await this.count(queue, { status })] as const));
    return Object.fromEntries(entries) as Record<TaskStatus, number>;
  }

  reportWorker(queue: string, id: string, report: { route: string; status: "idle" | "busy"; task_id: string | null; metadata?: Record<string, unknown> }) {
    return this.ok([204], "PUT", `/api/v2/queues/${encodeURIComponent(queue)}/workers/${id}`, { body: report });
  }

  workerTelemetry(queue: string, id: string, telemetry: Record<string, unknown>) {
    return this.ok([204], "POST", `/api/v2/queues/${encodeURIComponent(queue)}/workers/${id}/telemetry`, { body: { telemetry } });
  }

  async listWorkers(queue: string): Promise<V2Worker[]> {
    const page = await this.ok<{ items: V2Worker[] }>([200], "GET", `/api/v2/queues/${encodeURIComponent(queue)}/workers`);
    return page.items;
  }
}
