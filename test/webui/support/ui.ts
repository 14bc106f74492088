/**
 * The web UI's pages as the suite reads and drives them (labtasker-webui 0.6.0's markup: rows carry
 * `data-task-id` / `data-worker-id`, cells `data-column-id`, the drawer and dialogs are ARIA dialogs), and numbered
 * screenshots of each step.
 */
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import type { TaskStatus } from "./v2api.js";

export class WebuiPage {
  private shots = 0;

  constructor(
    readonly page: Page,
    readonly artifacts: string,
  ) {}

  /** A full-page screenshot, `NN-<name>.png` in the artifacts folder; returns its path. */
  async screenshot(name: string): Promise<string> {
    this.shots += 1;
    const path = join(this.artifacts, `${String(this.shots).padStart(2, "0")}-${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  async connect(webuiUrl: string, serverUrl: string, token: string): Promise<void> {
    await this.page.goto(webuiUrl);
    await this.page.getByLabel("Server URL").fill(serverUrl);
    await this.page.getByLabel("Bearer token").fill(token);
    await this.page.getByRole("button", { name: "Connect" }).click();
  }

  /** After {@link connect}: resolves once the overview shows, throws with the form's error (e.g. `incompatible_api`). */
  async connected(): Promise<void> {
    const grid = this.page.locator(".queue-grid");
    const error = this.page.locator("main.connect .error");
    await grid.or(error).first().waitFor();
    if (await error.isVisible()) throw new Error(`the connect form says: ${await error.innerText()}`);
  }

  queueCard(queue: string): Locator {
    return this.page.locator("article.queue-card").filter({ has: this.page.locator("h2").getByText(queue, { exact: true }) });
  }

  /** The five counts a queue card shows on the overview. */
  async cardCounts(queue: string): Promise<Record<TaskStatus, number>> {
    const card = this.queueCard(queue);
    const read = async (status: TaskStatus) => Number(await card.locator(`.status-row button.${status} b`).innerText());
    return {
      pending: await read("pending"),
      running: await read("running"),
      succeeded: await read("succeeded"),
      failed: await read("failed"),
      cancelled: await read("cancelled"),
    };
  }

  async openQueue(queue: string): Promise<void> {
    await this.queueCard(queue).locator("h2").click();
    await this.page.locator(".task-workspace").waitFor();
  }

  async backToQueues(): Promise<void> {
    await this.page.locator("nav.crumb").getByRole("button", { name: "All Queues" }).click();
    await this.page.locator(".queue-grid").waitFor();
  }

  /** The counts of the workspace's status bar (All and the five statuses). */
  async statusBar(): Promise<Record<TaskStatus | "all", number>> {
    const read = async (name: string) => Number(await this.page.locator(`.task-workspace .stats button.${name} strong`).innerText());
    return {
      all: await read("all"),
      pending: await read("pending"),
      running: await read("running"),
      succeeded: await read("succeeded"),
      failed: await read("failed"),
      cancelled: await read("cancelled"),
    };
  }

  /** The ids of the task rows on screen, sorted. */
  async taskIds(): Promise<string[]> {
    const ids = await this.page.locator(".task-workspace tbody tr[data-task-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-task-id") ?? ""));
    return ids.sort();
  }

  /** "Loaded N / M tasks". */
  async listSummary(): Promise<string> {
    return (await this.page.locator(".task-workspace .list-summary").innerText()).trim();
  }

  row(id: string): Locator {
    return this.page.locator(`.task-workspace tbody tr[data-task-id="${id}"]`);
  }

  /** A cell's text; the status and priority cells carry their value in `data-tooltip`. */
  async cell(id: string, column: string): Promise<string> {
    const cell = this.row(id).locator(`td[data-column-id="${column}"]`);
    if (column === "status" || column === "priority") return (await cell.getAttribute("data-tooltip")) ?? "";
    return (await cell.innerText()).trim();
  }

  async applyFilter(expression: string): Promise<void> {
    await this.page.getByLabel("Advanced filter expression").fill(expression);
    await this.page.locator(".task-workspace .toolbar").getByRole("button", { name: "Apply" }).click();
  }

  /** The inline error under the toolbar (the server's 422 message for a bad filter). */
  filterError(): Locator {
    return this.page.locator(".task-workspace .field-error[role=alert]");
  }

  async addColumn(path: string): Promise<void> {
    await this.page.locator(".task-workspace details.column-menu > summary").click();
    await this.page.locator("#custom-column-path").fill(path);
    await this.page.locator(".custom-column-form").getByRole("button", { name: "Add" }).click();
    await this.page.locator(".task-workspace details.column-menu > summary").click();
  }

  async setIncludeArchived(on: boolean): Promise<void> {
    await this.page.locator(".task-workspace label.archive-visibility input").setChecked(on);
  }

  async select(...ids: string[]): Promise<void> {
    for (const id of ids) await this.row(id).locator('td[data-column-id="select"] input[type=checkbox]').check();
  }

  selectionAction(name: string): Locator {
    return this.page.locator(".task-workspace .selection").getByRole("button", { name, exact: true });
  }

  toast(): Locator {
    return this.page.locator("#toast");
  }

  dialog(): Locator {
    return this.page.locator('[role=dialog].modal');
  }

  drawer(): Locator {
    return this.page.locator('aside.drawer[role=dialog][aria-label="Task details"]');
  }

  async openDrawer(id: string): Promise<Locator> {
    await this.row(id).locator('td[data-column-id="task"]').click();
    const drawer = this.drawer();
    await drawer.locator("code").getByText(id, { exact: true }).waitFor();
    // The heading shows the id until the task has loaded, then its name.
    await drawer.locator(".drawer-body").waitFor();
    return drawer;
  }

  async closeDrawer(): Promise<void> {
    await this.page.keyboard.press("Escape");
    await this.drawer().waitFor({ state: "detached" });
  }

  async openTab(name: "Tasks" | "Workers"): Promise<void> {
    await this.page.locator(".workspace-tabs").getByRole("button", { name, exact: true }).click();
  }

  workerRow(id: string): Locator {
    return this.page.locator(`.workers-panel tbody tr[data-worker-id="${id}"]`);
  }
}
