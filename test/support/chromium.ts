/**
 * Headless Chromium for the dashboard's tests and benchmark: Debian's `chromium` package (scripts/setup.sh installs
 * it), found on the PATH and driven by playwright-core; no browser is ever downloaded.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium, type Browser } from "playwright-core";

const NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** The first Chromium on the PATH (or LABTASKER_CHROMIUM), or undefined. */
export function findChromium(): string | undefined {
  const explicit = process.env.LABTASKER_CHROMIUM;
  if (explicit) return explicit;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of NAMES) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === undefined) {
    throw new Error("No Chromium on the PATH: install Debian's `chromium` package (scripts/setup.sh does), or set LABTASKER_CHROMIUM");
  }
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"] });
}
