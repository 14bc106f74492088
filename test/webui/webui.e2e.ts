/**
 * The official labtasker web UI (labtasker-webui 0.6.0) in headless Chromium against a server: `WEBUI_SERVER=ours`
 * (default) or `WEBUI_SERVER=v2` (labtasker 2.8.0's own server, the reference this suite must pass against). The
 * steps share one browser page and run in order; after each action in the browser the server's state is read back
 * through /api/v2. Screenshots, logs and every request the web UI made are kept in test/webui/.artifacts/<server>/.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchBrowser, type WebuiBrowser } from "./support/browser.js";
import { summarize } from "./support/recorder.js";
import { ERROR, IDS, PROGRESS, QUEUE, RESULT, RUNNING_RUN_ID, TASKS, WORKER_ID, WORKER_METADATA, seed, seedTask } from "./support/seed.js";
import { serverKind, startStack, WEBUI_DIR, type Stack } from "./support/stack.js";
import { WebuiPage } from "./support/ui.js";
import { STATUSES, V2Api, type TaskStatus } from "./support/v2api.js";

const kind = serverKind();
const artifacts = join(WEBUI_DIR, ".artifacts", kind);
/** How long the UI may take to show a change: it refetches after an action, and polls the list every 5 s anyway. */
const SHOWN = { timeout: 20_000, interval: 250 };

let stack: Stack;
let api: V2Api;
let web: WebuiBrowser;
let ui: WebuiPage;

function sorted(ids: string[]): string[] {
  return [...ids].sort();
}

/** What the seed left, with the changes the steps made so far applied by the steps themselves. */
const expected: Record<string, TaskStatus | "deleted"> = Object.fromEntries(TASKS.map((task) => [task.id, task.status]));

/** The tasks archived so far: out of the default lists and counts. */
const archived = new Set<string>();

function expectedCounts(): Record<TaskStatus, number> {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<TaskStatus, number>;
  for (const [id, status] of Object.entries(expected)) if (status !== "deleted" && !archived.has(id)) counts[status] += 1;
  return counts;
}

describe(`labtasker-webui 0.6.0 against ${kind === "v2" ? "labtasker-server 2.8.0" : "our server"}`, () => {
  beforeAll(async () => {
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    stack = await startStack(kind, artifacts);
    api = new V2Api(stack.serverUrl, stack.token);
    await seed(api);
    web = await launchBrowser(join(artifacts, "browser-requests.jsonl"));
    ui = new WebuiPage(web.page, artifacts);
  });

  afterAll(async () => {
    await web?.close();
    if (stack) {
      writeFileSync(join(artifacts, "upstream-summary.txt"), `${summarize(stack.recorder.requests)}\n`);
      writeFileSync(join(artifacts, "page-errors.txt"), web ? web.pageErrors.join("\n") : "");
      await stack.stop();
    }
  });

  // The running task's lease (300 s in v2) must outlive the suite; a heartbeat per step keeps it.
  beforeEach(async () => {
    if (api && expected[IDS.running] === "running") await api.heartbeat(QUEUE, IDS.running, RUNNING_RUN_ID);
  });

  it("connects through the form (URL and bearer token) and shows the queues", async () => {
    await ui.connect(stack.webuiUrl, stack.recorder.url, stack.token);
    await ui.connected();
    await expect(ui.queueCard(QUEUE).isVisible()).resolves.toBe(true);
    // The connect check: /health, /openapi.json, then the queue list, each with the token.
    const first = stack.recorder.requests.slice(0, 3).map((entry) => `${entry.operation} ${entry.status} ${entry.bearer}`);
    expect(first).toEqual(["GET /health 200 true", "GET /openapi.json 200 true", "GET /api/v2/queues 200 true"]);
    // A server older than the web UI's client (2.8.0) would get a warning banner.
    expect(await web.page.locator(".server-version-warning").count()).toBe(0);
    await ui.screenshot("connected-overview");
  });

  it("overview: the queue card counts every status as the server does", async () => {
    const server = await api.countsByStatus(QUEUE);
    expect(server).toEqual(expectedCounts());
    await expect.poll(() => ui.cardCounts(QUEUE), SHOWN).toEqual(server);
    const card = ui.queueCard(QUEUE);
    await expect.poll(async () => (await card.locator(".queue-completion").innerText()).trim(), SHOWN).toBe(`${TASKS.length} Tasks`);
    await expect.poll(async () => (await card.locator(".queue-worker-summary .queue-worker-busy b").innerText()).trim(), SHOWN).toBe("1");
    await ui.screenshot("overview-counts");
  });

  it("task table: every task, the status bar, an advanced filter and a custom args.* column", async () => {
    await ui.openQueue(QUEUE);
    const all = await api.listTasks(QUEUE);
    expect(sorted(all.map((task) => task.id))).toEqual(sorted(TASKS.map((task) => task.id)));
    await expect.poll(() => ui.taskIds(), SHOWN).toEqual(sorted(all.map((task) => task.id)));
    await expect.poll(() => ui.listSummary(), SHOWN).toBe(`Loaded ${all.length} / ${all.length} tasks`);
    await expect.poll(() => ui.statusBar(), SHOWN).toEqual({ all: all.length, ...expectedCounts() });
    for (const task of TASKS) expect(await ui.cell(task.id, "status")).toBe(task.status);
    await ui.screenshot("task-table");

    const filter = 'args.lr >= 0.01 and args.model == "vit"';
    await ui.applyFilter(filter);
    const matching = TASKS.filter((task) => task.args.lr >= 0.01 && task.args.model === "vit").map((task) => task.id);
    expect(sorted((await api.listTasks(QUEUE, { filter })).map((task) => task.id))).toEqual(sorted(matching));
    expect(await api.count(QUEUE, { filter })).toBe(matching.length);
    await expect.poll(() => ui.taskIds(), SHOWN).toEqual(sorted(matching));
    await expect.poll(() => ui.listSummary(), SHOWN).toBe(`Loaded ${matching.length} / ${matching.length} tasks`);
    await expect.poll(async () => (await ui.statusBar()).all, SHOWN).toBe(matching.length);

    await ui.addColumn("args.lr");
    for (const id of matching) await expect.poll(() => ui.cell(id, "path:args.lr"), SHOWN).toBe(String(seedTask(id).args.lr));
    await ui.screenshot("filter-and-args-column");

    // A filter the server refuses (422 invalid_filter) is shown inline, with the server's message.
    await ui.applyFilter("no_such_field == 1");
    await ui.filterError().waitFor();
    expect((await ui.filterError().innerText()).length).toBeGreaterThan(0);
    await ui.screenshot("invalid-filter");

    await ui.applyFilter("");
    await expect.poll(() => ui.taskIds(), SHOWN).toEqual(sorted(all.map((task) => task.id)));
    await expect.poll(() => ui.cell(IDS.failed, "path:args.lr"), SHOWN).toBe(String(seedTask(IDS.failed).args.lr));
  });

  it("detail drawer: the failed task's error and traceback, args; the succeeded task's result; the running task's progress", async () => {
    const failedTask = seedTask(IDS.failed);
    let drawer = await ui.openDrawer(IDS.failed);
    expect(await drawer.locator("h2").innerText()).toBe(failedTask.name);
    expect(await drawer.locator(".task-summary .badge").innerText()).toMatch(/failed/i);
    const failure = drawer.locator(".detail-section.failure");
    expect(await failure.locator("h3").innerText()).toBe(ERROR.type);
    expect(await failure.locator("p").first().innerText()).toBe(ERROR.message);
    expect(await failure.locator("pre").innerText()).toBe(ERROR.traceback);
    const args = drawer.locator(".detail-section").filter({ has: web.page.locator("h3", { hasText: /^Arguments$/ }) });
    expect(await args.locator(".json-key").allInnerTexts()).toEqual(expect.arrayContaining(["lr", "model", "seed"]));
    await ui.screenshot("drawer-failed");
    await ui.closeDrawer();

    drawer = await ui.openDrawer(IDS.succeeded);
    const result = drawer.locator(".detail-section").filter({ has: web.page.locator("h3", { hasText: /^Result$/ }) });
    expect(await result.locator(".json-key").allInnerTexts()).toEqual(expect.arrayContaining(Object.keys(RESULT)));
    await ui.screenshot("drawer-succeeded");
    await ui.closeDrawer();

    // The running task's progress snapshot: a ring in the table (completed / total), the JSON in the drawer.
    const server = await api.getTask(QUEUE, IDS.running);
    expect(server?.progress).toEqual(PROGRESS);
    const percent = Math.floor((PROGRESS.completed / PROGRESS.total) * 100);
    expect(await ui.row(IDS.running).locator('td[data-column-id="progress"] button.progress-trigger').getAttribute("aria-label")).toBe(`Show Task progress: ${percent}%`);
    drawer = await ui.openDrawer(IDS.running);
    expect(await drawer.locator(".task-summary .badge").innerText()).toMatch(/running/i);
    expect(await drawer.locator(".json-key").allInnerTexts()).toEqual(expect.arrayContaining(Object.keys(PROGRESS)));
    await ui.screenshot("drawer-running");
    await ui.closeDrawer();
  });

  it("cancel: a pending task becomes cancelled, on screen and on the server", async () => {
    await ui.select(IDS.pending3);
    await ui.selectionAction("Cancel Tasks").click();
    await expect.poll(() => ui.toast().innerText(), SHOWN).toBe("1 Task cancelled.");
    expected[IDS.pending3] = "cancelled";
    expect((await api.getTask(QUEUE, IDS.pending3))?.status).toBe("cancelled");
    await expect.poll(() => ui.cell(IDS.pending3, "status"), SHOWN).toBe("cancelled");
    await expect.poll(() => ui.statusBar(), SHOWN).toEqual({ all: TASKS.length, ...expectedCounts() });
    await ui.screenshot("cancelled");
  });

  it("requeue: the cancelled task and the failed one are pending again, attempts reset and the error cleared", async () => {
    await ui.select(IDS.pending3, IDS.failed);
    await ui.selectionAction("Requeue Tasks").click();
    await expect.poll(() => ui.toast().innerText(), SHOWN).toBe("2 Tasks requeued.");
    expected[IDS.pending3] = "pending";
    expected[IDS.failed] = "pending";
    const requeued = await api.getTask(QUEUE, IDS.pending3);
    const failed = await api.getTask(QUEUE, IDS.failed);
    expect(requeued).toMatchObject({ status: "pending", attempt: 0 });
    expect(failed).toMatchObject({ status: "pending", attempt: 0, last_error: null });
    await expect.poll(() => ui.cell(IDS.pending3, "status"), SHOWN).toBe("pending");
    await expect.poll(() => ui.cell(IDS.failed, "status"), SHOWN).toBe("pending");
    await expect.poll(() => ui.statusBar(), SHOWN).toEqual({ all: TASKS.length, ...expectedCounts() });
    await ui.screenshot("requeued");
  });

  it("set priority: the selected task gets the new priority", async () => {
    await ui.select(IDS.pending2);
    await web.page.getByLabel("Priority for selected Tasks").fill("77");
    await ui.selectionAction("Set priority").click();
    await expect.poll(async () => (await api.getTask(QUEUE, IDS.pending2))?.priority, SHOWN).toBe(77);
    await expect.poll(() => ui.cell(IDS.pending2, "priority"), SHOWN).toBe("77");
    // Nothing else moved.
    expect((await api.getTask(QUEUE, IDS.pending1))?.priority).toBe(seedTask(IDS.pending1).priority);
    await ui.screenshot("priority-set");
  });

  it("archive: a finished task leaves the default list and counts, and comes back with Include archived", async () => {
    await ui.select(IDS.cancelled);
    await ui.selectionAction("Archive selected").click();
    await ui.dialog().getByRole("button", { name: "Archive 1 Task" }).click();
    await expect.poll(() => ui.toast().innerText(), SHOWN).toBe("1 Task archived.");
    archived.add(IDS.cancelled);
    expect(await api.getTask(QUEUE, IDS.cancelled)).toMatchObject({ status: "cancelled", archived: true });
    expect((await api.listTasks(QUEUE)).map((task) => task.id)).not.toContain(IDS.cancelled);
    expect(await api.count(QUEUE)).toBe(TASKS.length - 1);
    await expect.poll(() => ui.taskIds(), SHOWN).not.toContain(IDS.cancelled);
    await expect.poll(() => ui.statusBar(), SHOWN).toEqual({ all: TASKS.length - 1, ...expectedCounts() });
    await ui.screenshot("archived-hidden");

    await ui.setIncludeArchived(true);
    expect((await api.listTasks(QUEUE, { include_archived: true })).map((task) => task.id)).toContain(IDS.cancelled);
    expect(await api.count(QUEUE, { include_archived: true })).toBe(TASKS.length);
    await expect.poll(() => ui.taskIds(), SHOWN).toContain(IDS.cancelled);
    await expect.poll(async () => (await ui.statusBar()).all, SHOWN).toBe(TASKS.length);
    expect(await ui.row(IDS.cancelled).innerText()).toContain("Archived");
    await ui.screenshot("archived-included");
    await ui.setIncludeArchived(false);
    await expect.poll(() => ui.taskIds(), SHOWN).not.toContain(IDS.cancelled);
  });

  it("delete: the selected task is gone from the server and the table", async () => {
    await ui.select(IDS.pending1);
    await ui.selectionAction("Delete Tasks").click();
    await ui.dialog().getByRole("button", { name: "Delete permanently" }).click();
    await expect.poll(async () => (await ui.dialog().locator(".operation-counts").innerText()).replace(/\s+/g, " "), SHOWN).toContain("1 deleted");
    await ui.screenshot("delete-operation");
    await ui.dialog().getByRole("button", { name: "Done" }).click();
    expected[IDS.pending1] = "deleted";
    expect(await api.getTask(QUEUE, IDS.pending1)).toBeNull();
    await expect.poll(() => ui.taskIds(), SHOWN).not.toContain(IDS.pending1);
    await expect.poll(() => ui.statusBar(), SHOWN).toEqual({ all: TASKS.length - 2, ...expectedCounts() });
    await ui.screenshot("deleted");
  });

  it("workers tab: the busy worker with its route, task and metadata", async () => {
    const workers = await api.listWorkers(QUEUE);
    expect(workers.map((worker) => [worker.id, worker.status, worker.route, worker.task_id])).toEqual([[WORKER_ID, "busy", "default", IDS.running]]);
    await ui.openTab("Workers");
    const row = ui.workerRow(WORKER_ID);
    await row.waitFor();
    expect(await row.locator('td[data-column-id="status"]').innerText()).toBe("Busy");
    expect(await row.locator('td[data-column-id="route"]').innerText()).toBe("default");
    expect(await row.locator('td[data-column-id="task"]').innerText()).toContain(IDS.running);
    await ui.screenshot("workers");
    await row.locator("button.worker-link").click();
    const drawer = web.page.locator("aside.drawer[role=dialog]");
    await drawer.getByText(WORKER_METADATA.host).first().waitFor();
    await ui.screenshot("worker-drawer");
    await web.page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
    await ui.openTab("Tasks");
  });

  it("overview again: the counts after every action match the server's", async () => {
    await ui.backToQueues();
    await web.page.getByRole("button", { name: /Refresh/ }).click();
    const server = await api.countsByStatus(QUEUE);
    expect(server).toEqual(expectedCounts());
    await expect.poll(() => ui.cardCounts(QUEUE), SHOWN).toEqual(server);
    await ui.screenshot("overview-after");
  });

  it("the web UI's backend accepted every server answer (no malformed_upstream, no unexpected error)", () => {
    // The only errors the steps asked for: the invalid filter's 422 (list and count).
    const unexpected = web.answers.filter((answer) => answer.status >= 400 && !(answer.status === 422 && answer.url.includes("no_such_field")));
    expect(unexpected).toEqual([]);
    expect(web.pageErrors.filter((error) => error.startsWith("page:"))).toEqual([]);
    const upstreamErrors = stack.recorder.requests.filter((entry) => entry.status >= 400 && !(entry.status === 422 && entry.url.includes("no_such_field")));
    expect(upstreamErrors.map((entry) => `${entry.method} ${entry.url} ${entry.status} ${entry.responseBody}`)).toEqual([]);
    expect(stack.recorder.requests.every((entry) => entry.bearer)).toBe(true);
  });
});
