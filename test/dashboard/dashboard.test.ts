/**
 * The web dashboard in a real browser (headless Chromium, see ./browser.ts) against the real HTTP app and Redis:
 * sign-in, the overview and its live updates, the filter box, columns, sorting, paging, actions, the task detail,
 * the plots, untrusted text, and CSRF. Screenshots go to test/dashboard/.artifacts/ (git-ignored).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/http.js";
import { artifactPath, launchChromium } from "./browser.js";

let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const SERVER_TOKEN = "dash-server-token";

beforeAll(async () => {
  // With v2's token, so the page can also be signed into with it.
  server = await startTestServer({ v2Auth: { token: SERVER_TOKEN } });
  browser = await launchChromium();
}, 60_000);

// Each test's pages close with it (their event streams too), so nothing a test opened outlives it.
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.[Symbol.asyncDispose]();
});

interface Queue {
  name: string;
  auth: [string, string];
  /** A v1 API call with Basic auth; the parsed JSON answer. */
  call: (method: string, path: string, body?: unknown) => Promise<unknown>;
}

async function createQueue(): Promise<Queue> {
  const name = `dash${Math.random().toString(36).slice(2, 10)}`;
  const created = await server.request("POST", "/api/v1/queues", { body: { queue_name: name, password: "pw-secret" } });
  expect(created.status).toBe(201);
  const auth: [string, string] = [name, "pw-secret"];
  return {
    name,
    auth,
    call: async (method, path, body) => {
      const answer = await server.request(method, `/api/v1/queues/me${path}`, { auth, body });
      if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`);
      return answer.status === 204 ? null : answer.json();
    },
  };
}

async function submit(queue: Queue, tasks: Array<Record<string, unknown>>): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < tasks.length; start += 5000) {
    const answer = (await queue.call("POST", "/tasks/batch", { tasks: tasks.slice(start, start + 5000) })) as { task_ids: string[] };
    ids.push(...answer.task_ids);
  }
  return ids;
}

/** What a loop does for one task: fetch it, then report its end. */
async function runOne(queue: Queue, status: "success" | "failed", summary: Record<string, unknown> = {}): Promise<string> {
  const fetched = (await queue.call("POST", "/tasks/next", {})) as { task: { task_id: string } | null };
  if (fetched.task === null) throw new Error("nothing to fetch");
  await queue.call("POST", `/tasks/${fetched.task.task_id}/status`, { status, summary });
  return fetched.task.task_id;
}

/** Dialogs (alert, confirm) any page opened: the dashboard never opens one, and injected markup must not. */
const dialogs: string[] = [];

async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return page;
}

async function signIn(queue: Queue, search = ""): Promise<Page> {
  const page = await openPage();
  await page.goto(`${server.url}/${search}`);
  await page.getByLabel("Queue").fill(queue.name);
  await page.getByLabel("Password").fill("pw-secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("header.top .queue").waitFor();
  return page;
}

const rowCount = (page: Page) => page.locator("table.tasks tbody tr").count();

describe("dashboard: sign-in", () => {
  it("refuses a wrong password with the API's message, then signs in with a session cookie", async () => {
    const queue = await createQueue();
    const page = await openPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel("Queue").fill(queue.name);
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("Invalid credentials");
    await page.screenshot({ path: artifactPath("sign-in-refused.png") });

    await page.getByLabel("Password").fill("pw-secret");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("header.top .queue").textContent()).toBe(queue.name);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: "labtasker_session", httpOnly: true, sameSite: "Strict", path: "/dashboard" });
    expect(cookie!.expires * 1000).toBeGreaterThan(Date.now() + 3600_000);
    // The page never sees the cookie.
    expect(await page.evaluate("document.cookie")).toBe("");
    // An unknown queue gets the same message as a wrong password.
    const unknown = await fetch(`${server.url}/dashboard/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ queue_name: "nope-x", password: "pw" }) });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("www-authenticate")).toBeNull();
    expect(await unknown.json()).toEqual({ detail: "Invalid credentials" });
  });

  it("signs in with the server's token and a queue's name, and refuses a wrong token", async () => {
    const queue = await createQueue();
    const page = await openPage();
    await page.goto(`${server.url}/?tab=tasks`);
    await page.getByRole("button", { name: "Use the server's token instead" }).click();
    await page.getByLabel("Queue").fill(queue.name);
    await page.getByLabel("Token", { exact: true }).fill("not-the-token");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("Invalid credentials");

    await page.getByLabel("Token", { exact: true }).fill(SERVER_TOKEN);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => page.locator("header.top .queue").textContent()).toBe(queue.name);
    // The same session as a password's: the cookie, and actions that carry the CSRF token.
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: "labtasker_session", httpOnly: true, sameSite: "Strict", path: "/dashboard" });
    await submit(queue, [{ task_name: "via-token", args: { i: 1 } }]);
    const cancelled = await page.evaluate(async () => {
      const session = (await (await fetch("/dashboard/api/session")).json()) as { csrf_token: string };
      const answer = await fetch("/dashboard/api/tasks/bulk", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": session.csrf_token }, body: JSON.stringify({ action: "cancel", status: "pending" }) });
      return answer.json();
    });
    expect(cancelled).toMatchObject({ matched: 1, done: 1 });
  });

  it("still answers API clients at / with the welcome document", async () => {
    const answer = await fetch(`${server.url}/`, { headers: { accept: "*/*" } });
    expect(answer.headers.get("content-type")).toMatch(/application\/json/);
    const page = await fetch(`${server.url}/`, { headers: { accept: "text/html,application/xhtml+xml" } });
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
  });
});

describe("dashboard: overview", () => {
  it("counts a submit, and updates live when a loop finishes a task", async () => {
    const queue = await createQueue();
    await submit(queue, [{ args: { lr: 0.1 } }, { args: { lr: 0.2 } }, { args: { lr: 0.3 } }]);
    const page = await signIn(queue);
    const count = (status: string) => page.locator(`[data-count="${status}"] .n`).textContent();
    await expect.poll(() => count("pending")).toBe("3");
    await expect.poll(() => page.locator(".live").getAttribute("data-live")).toBe("live");

    await runOne(queue, "success", { acc: 0.9 });
    await expect.poll(() => count("success"), { timeout: 10_000 }).toBe("1");
    expect(await count("pending")).toBe("2");
    await page.screenshot({ path: artifactPath("overview.png"), fullPage: true });
  });

  it("closes its event stream while the tab is hidden, and reads everything again when it shows", async () => {
    const queue = await createQueue();
    await submit(queue, [{ args: { lr: 0.1 } }]);
    const page = await signIn(queue);
    const count = () => page.locator('[data-count="pending"] .n').textContent();
    await expect.poll(count).toBe("1");
    await expect.poll(() => page.locator(".live").getAttribute("data-live")).toBe("live");
    let streams = 0;
    page.on("request", (request) => void (request.url().endsWith("/events") && streams++));
    const setHidden = (hidden: boolean) =>
      page.evaluate((value) => {
        const doc = (globalThis as unknown as { document: { dispatchEvent(event: unknown): boolean } }).document;
        Object.defineProperty(doc, "hidden", { configurable: true, get: () => value });
        doc.dispatchEvent(new (globalThis as unknown as { Event: new (type: string) => unknown }).Event("visibilitychange"));
      }, hidden);

    await setHidden(true);
    await submit(queue, [{ args: { lr: 0.2 } }]);
    // Followed, the overview would show the submit within about 1.3 s (a quarter of a second's coalescing, then its
    // reload at the end of a second).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await count()).toBe("1");
    await setHidden(false);
    await expect.poll(count).toBe("2");
    expect(streams).toBe(1);
  });
});

describe("dashboard: task table", () => {
  it("shows a filter's syntax error at its column, then the tasks a good filter matches", async () => {
    const queue = await createQueue();
    await submit(queue, [0.001, 0.01, 0.1, 0.5].map((lr) => ({ args: { lr } })));
    const page = await signIn(queue, "?tab=tasks");
    await expect.poll(() => rowCount(page)).toBe(4);

    await page.getByLabel("Filter").fill("args.lr > > 0.05");
    await page.getByLabel("Filter").press("Enter");
    await expect.poll(() => page.locator("[data-filter-error]").textContent()).toMatch(/^Column \d+: /);
    const caret = (await page.locator("[data-filter-caret]").textContent())!.split("\n");
    expect(caret[0]).toBe("args.lr > > 0.05");
    const column = Number(/^Column (\d+)/.exec((await page.locator("[data-filter-error]").textContent())!)![1]);
    expect(caret[1]!.indexOf("^")).toBe(column - 1);
    expect(column).toBe(11);
    expect(await page.locator("[data-filter-error]").textContent()).toBe("Column 11: Query syntax error: invalid syntax");
    await page.screenshot({ path: artifactPath("filter-error.png") });

    await page.getByLabel("Filter").fill("args.lr > 0.05");
    await page.getByLabel("Filter").press("Enter");
    await expect.poll(() => rowCount(page)).toBe(2);
    expect(page.url()).toContain("filter=args.lr+%3E+0.05");
  });

  it("adds a custom column and sorts by it both ways", async () => {
    const queue = await createQueue();
    await submit(queue, [0.3, 0.1, 0.4, 0.2].map((lr) => ({ args: { lr } })));
    const page = await signIn(queue, "?tab=tasks");
    await page.getByLabel("Add a column by dotted path").fill("args.lr");
    await page.getByLabel("Add a column by dotted path").press("Enter");
    const cells = () => page.locator('table.tasks tbody td:nth-child(9)').allTextContents();
    await expect.poll(cells).toHaveLength(4);
    expect((await cells()).sort()).toEqual(["0.1", "0.2", "0.3", "0.4"]);
    expect(page.url()).toContain("columns=args.lr");

    await page.locator('th[data-column="args.lr"] button').click();
    await expect.poll(cells).toEqual(["0.1", "0.2", "0.3", "0.4"]);
    await page.locator('th[data-column="args.lr"] button').click();
    await expect.poll(cells).toEqual(["0.4", "0.3", "0.2", "0.1"]);
    expect(page.url()).toContain("sort=-args.lr");
  });

  it("pages through 10,000 tasks, in the queue's order and sorted", async () => {
    const queue = await createQueue();
    await submit(queue, Array.from({ length: 10_000 }, (_, i) => ({ args: { i } })));
    const page = await signIn(queue, "?tab=tasks&columns=args.i");
    const range = () => page.locator("[data-range]").textContent();
    await expect.poll(range, { timeout: 15_000 }).toBe("1–50 of 10,000");
    const seen = new Set<string>();
    const collect = async () => {
      for (const id of await page.locator("table.tasks tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-task-id")!))) seen.add(id);
    };
    await collect();
    await page.getByRole("button", { name: "Next page" }).click();
    await expect.poll(range).toBe("51–100 of 10,000");
    await collect();
    expect(seen.size).toBe(100);
    await page.getByRole("button", { name: "Last page" }).click();
    await expect.poll(range).toBe("9,951–10,000 of 10,000");
    expect(page.url()).toContain("page=200");
    await collect();
    expect(seen.size).toBe(150);

    // Sorted by an argument, descending: a snapshot of the order, paged.
    await page.goto(`${server.url}/?tab=tasks&columns=args.i&sort=-args.i&page=3`);
    await expect.poll(range).toBe("101–150 of 10,000");
    const values = await page.locator("table.tasks tbody td:nth-child(9)").allTextContents();
    expect(values[0]).toBe("9899");
    expect(values.at(-1)).toBe("9850");
    await page.keyboard.press("]");
    await expect.poll(range).toBe("151–200 of 10,000");
    expect((await page.locator("table.tasks tbody td:nth-child(9)").allTextContents())[0]).toBe("9849");
  }, 60_000);
});

describe("dashboard: actions", () => {
  it("re-queues every task a filter matches, after showing how many", async () => {
    const queue = await createQueue();
    await submit(queue, Array.from({ length: 6 }, (_, i) => ({ args: { i }, max_retries: 1 })));
    for (let i = 0; i < 4; i++) await runOne(queue, "failed");
    const page = await signIn(queue, "?tab=tasks&status=failed");
    await expect.poll(() => rowCount(page)).toBe(4);
    await page.locator('[data-action="requeue-all"]').click();
    await expect.poll(() => page.locator("[data-confirm-count]").textContent()).toBe("4");
    await page.screenshot({ path: artifactPath("requeue-confirm.png") });
    await page.locator('[data-action="confirm"]').click();
    await expect.poll(() => page.locator("[data-action-result]").textContent()).toBe("4 of 4 tasks re-queued.");
    const counts = (await queue.call("POST", "/tasks/count", {})) as { counts: Record<string, number> };
    expect(counts.counts).toMatchObject({ pending: 6, failed: 0 });
    await expect.poll(() => page.locator("[data-empty]").textContent()).toBe("No task matches.");
  });

  it("cancels the selected task, and changes a task's priority from its detail", async () => {
    const queue = await createQueue();
    const [first, second] = await submit(queue, [{ args: { a: 1 } }, { args: { a: 2 } }]);
    const page = await signIn(queue, "?tab=tasks");
    await page.getByLabel(`Select task ${first}`).check();
    await page.locator('[data-action="cancel-selected"]').click();
    await expect.poll(() => page.locator("[data-action-result]").textContent()).toBe("1 of 1 tasks cancelled.");
    expect(((await queue.call("GET", `/tasks/${first}`)) as { status: string }).status).toBe("cancelled");

    await page.locator(`tr[data-task-id="${second}"] td:nth-child(3)`).click();
    await page.locator(`[data-task-detail="${second}"]`).waitFor();
    await page.getByLabel("Priority", { exact: true }).fill("42");
    await page.getByRole("button", { name: "Set", exact: true }).click();
    await expect.poll(async () => ((await queue.call("GET", `/tasks/${second}`)) as { priority: number }).priority).toBe(42);
    await expect.poll(() => page.locator("[data-detail-priority]").textContent()).toBe("42");
  });
});

describe("dashboard: task detail", () => {
  it("shows args, summary, the last error with its traceback, and the task's events", async () => {
    const queue = await createQueue();
    await submit(queue, [{ task_name: "train", args: { lr: 0.01, model: "vit" }, max_retries: 1 }]);
    const taskId = await runOne(queue, "failed", { labtasker_exception: { type: "RuntimeError", message: "CUDA out of memory", traceback: "Traceback (most recent call last):\n  File \"train.py\", line 3" } });
    const page = await signIn(queue, `?tab=tasks&task=${taskId}`);
    const detail = page.locator(`[data-task-detail="${taskId}"]`);
    await expect.poll(() => detail.locator("[data-detail-status]").textContent()).toBe("failed");
    expect(JSON.parse((await detail.locator("[data-detail-args]").textContent())!)).toEqual({ lr: 0.01, model: "vit" });
    expect(await detail.getByText("RuntimeError: CUDA out of memory").count()).toBe(1);
    expect(await detail.locator("[data-traceback]").textContent()).toContain('File "train.py", line 3');
    // submitted, fetched, failed: newest first
    await expect.poll(() => detail.locator("ol.events li").count()).toBe(3);
    expect(await detail.locator("ol.events li").first().textContent()).toContain("running → failed");
    expect(await detail.locator("[data-no-log]").count()).toBe(1);
    await page.keyboard.press("Escape");
    await expect.poll(() => detail.count()).toBe(0);

    // A run's output, as `labtasker loop` streams it: shown as text, colour codes dropped.
    const log = Buffer.from("epoch 1 \u001b[32mloss 0.5\u001b[0m\n<b>not bold</b>\n").toString("base64");
    await queue.call("POST", `/tasks/${taskId}/logs`, { attempt: 0, run: "run-1", offset: 0, data: log, ended: true });
    await page.goto(`${server.url}/?tab=tasks&task=${taskId}`);
    await expect.poll(() => detail.locator("[data-log]").textContent()).toBe("epoch 1 loss 0.5\n<b>not bold</b>\n");
    await page.screenshot({ path: artifactPath("task-detail.png") });
  });

  it("shows untrusted text as text: an <img onerror> in args runs nothing", async () => {
    const queue = await createQueue();
    const evil = "<img src=x onerror=alert(1)>";
    const [taskId] = await submit(queue, [{ args: { name: evil }, metadata: { note: evil } }]);
    const page = await signIn(queue, `?tab=tasks&columns=args.name&task=${taskId}`);
    const detail = page.locator(`[data-task-detail="${taskId}"]`);
    await expect.poll(() => detail.locator("[data-detail-args]").textContent()).toContain(evil);
    expect(await page.locator("table.tasks tbody td:nth-child(9)").textContent()).toBe(evil);
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: artifactPath("untrusted-text.png") });
  });
});

describe("dashboard: workers", () => {
  it("suspends, activates and deletes a worker", async () => {
    const queue = await createQueue();
    const { worker_id: workerId } = (await queue.call("POST", "/workers", { worker_name: "gpu0" })) as { worker_id: string };
    const page = await signIn(queue, "?tab=workers");
    const row = page.locator(`tr[data-worker-id="${workerId}"]`);
    const status = async () => ((await queue.call("GET", `/workers/${workerId}`)) as { status: string }).status;
    await expect.poll(() => row.locator("td:nth-child(3)").textContent()).toBe("idle");
    await row.getByRole("button", { name: "Suspend" }).click();
    await expect.poll(status).toBe("suspended");
    await expect.poll(() => row.locator("td:nth-child(3)").textContent()).toBe("suspended");
    await row.getByRole("button", { name: "Activate" }).click();
    await expect.poll(status).toBe("active");
    await row.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect(await page.locator("p.empty").textContent()).toContain("No workers yet");
  });
});

describe("dashboard: plots", () => {
  it("draws one point per task with the metric and the argument, and opens a task on click", async () => {
    const queue = await createQueue();
    const n = 40;
    await submit(queue, Array.from({ length: n + 5 }, (_, i) => ({ args: { lr: 10 ** -(1 + (i % 4)), model: i % 2 ? "vit" : "resnet" }, priority: i < n ? 10 : 0 })));
    for (let i = 0; i < n; i++) await runOne(queue, "success", { acc: 0.5 + i / 100 });
    const page = await signIn(queue, "?tab=plots&y=summary.acc&x=args.lr&color=args.model");
    const scatter = page.locator('canvas[data-plot="scatter"]');
    // The 5 tasks still pending have no summary.acc: they are left out, and said to be.
    await expect.poll(() => scatter.getAttribute("data-points"), { timeout: 10_000 }).toBe(String(n));
    await expect.poll(() => page.locator('canvas[data-plot="parallel"]').getAttribute("data-points")).toBe(String(n));
    expect(await page.locator("[data-plot-status]").first().textContent()).toContain("5 without a value on every axis left out");
    await page.screenshot({ path: artifactPath("plots.png"), fullPage: true });

    // Hover the first drawn point: its task shows; click it: the task opens.
    const box = (await scatter.boundingBox())!;
    const point = await scatter.evaluate((canvas) => {
      const rect = canvas.getBoundingClientRect();
      return { width: rect.width, height: rect.height };
    });
    expect(point.width).toBeGreaterThan(100);
    let hovered = false;
    for (let x = 56; x < box.width && !hovered; x += 3) {
      for (let y = 12; y < box.height - 36 && !hovered; y += 3) {
        await page.mouse.move(box.x + x, box.y + y);
        hovered = (await page.locator("[data-tooltip]").count()) > 0;
      }
      if (x > 120) break;
    }
    expect(hovered).toBe(true);
    expect(await page.locator("[data-tooltip]").textContent()).toMatch(/^task t_[A-Za-z0-9_-]{12} \(success\)/);
    await page.mouse.down();
    await page.mouse.up();
    await page.locator("aside.detail").waitFor();
  }, 60_000);
});

describe("dashboard: CSRF", () => {
  async function session(queue: Queue): Promise<{ cookie: string; token: string }> {
    const answer = await fetch(`${server.url}/dashboard/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ queue_name: queue.name, password: "pw-secret" }) });
    const cookie = answer.headers.get("set-cookie")!.split(";")[0]!;
    return { cookie, token: ((await answer.json()) as { csrf_token: string }).csrf_token };
  }

  it("refuses an action without the token, or from another origin, and runs it with both", async () => {
    const queue = await createQueue();
    const [taskId] = await submit(queue, [{ args: { a: 1 } }]);
    const { cookie, token } = await session(queue);
    const bulk = (headers: Record<string, string>) =>
      fetch(`${server.url}/dashboard/api/tasks/bulk`, { method: "POST", headers: { "content-type": "application/json", cookie, ...headers }, body: JSON.stringify({ action: "cancel", task_ids: [taskId] }) });
    const noToken = await bulk({});
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toEqual({ detail: "CSRF token missing or wrong" });
    expect((await bulk({ "x-csrf-token": token, origin: "http://evil.example" })).status).toBe(403);
    expect((await bulk({ "x-csrf-token": "x".repeat(token.length) })).status).toBe(403);
    expect(((await queue.call("GET", `/tasks/${taskId}`)) as { status: string }).status).toBe("pending");
    expect((await bulk({ "x-csrf-token": token, origin: server.url })).status).toBe(200);
    expect(((await queue.call("GET", `/tasks/${taskId}`)) as { status: string }).status).toBe("cancelled");
    // The v1 routes mirrored for the dashboard need it too.
    const v1 = await fetch(`${server.url}/dashboard/api/v1/queues/me/tasks/${taskId}`, { method: "DELETE", headers: { cookie } });
    expect(v1.status).toBe(403);
  });

  it("refuses a form posted from another site's page to a signed-in browser", async () => {
    const queue = await createQueue();
    const [taskId] = await submit(queue, [{ args: { a: 1 } }]);
    const page = await signIn(queue);
    // Another origin (localhost, not 127.0.0.1): its page posts a form to the dashboard, as a CSRF attack does.
    const target = `${server.url}/dashboard/api/tasks/bulk`;
    const evil: Server = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<form id="f" method="POST" action="${target}" enctype="text/plain"><input name='{"action":"delete","task_ids":["${taskId}"],"x":"' value='"}'></form><script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    try {
      const evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
      const response = page.waitForResponse((r) => r.url() === target);
      await page.goto(evilUrl);
      expect((await response).status()).toBe(403);
    } finally {
      evil.closeAllConnections();
      await new Promise((resolve) => evil.close(resolve));
    }
    expect(((await queue.call("GET", `/tasks/${taskId}`)) as { status: string }).status).toBe("pending");
  });
});
