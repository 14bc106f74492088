/**
 * Headless Chromium from the system's package (Debian's `chromium`, found on the PATH; scripts/setup.sh installs it),
 * driven by playwright-core: no browser build is ever downloaded. Every answer the web UI's backend gives the browser
 * is recorded, so a response the backend refused as malformed (502 `malformed_upstream`) fails the suite with its
 * reasons rather than as a blank table.
 */
import { accessSync, appendFileSync, constants, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** The first executable `name` on the PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface BrowserAnswer {
  method: string;
  url: string;
  status: number;
  /** The body of an error answer (status >= 400), for the report. */
  error?: string;
}

export interface WebuiBrowser {
  browser: Browser;
  page: Page;
  /** Every /api/webui/* exchange of the page, in order. */
  answers: BrowserAnswer[];
  /** Console errors and uncaught page errors. */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(logFile: string): Promise<WebuiBrowser> {
  const executablePath = onPath("chromium");
  if (!executablePath) throw new Error("no `chromium` on the PATH: install Debian's chromium package (scripts/setup.sh does)");
  // In a container /dev/shm is often small; the sandbox needs privileges a CI container lacks.
  const browser = await chromium.launch({ executablePath, headless: true, chromiumSandbox: false, args: ["--disable-dev-shm-usage"] });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale: "en-US", timezoneId: "UTC" });
  page.setDefaultTimeout(20_000);
  const answers: BrowserAnswer[] = [];
  const pageErrors: string[] = [];
  writeFileSync(logFile, "");
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith("/api/webui/")) return;
    const answer: BrowserAnswer = { method: response.request().method(), url: url.pathname + url.search, status: response.status() };
    answers.push(answer);
    const record = () => appendFileSync(logFile, `${JSON.stringify(answer)}\n`);
    if (answer.status >= 400) {
      response.text().then(
        (text) => {
          answer.error = text.slice(0, 4_000);
          record();
        },
        () => record(),
      );
    } else {
      record();
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => pageErrors.push(`page: ${error.message}`));
  return {
    browser,
    page,
    answers,
    pageErrors,
    async close() {
      await browser.close();
    },
  };
}
