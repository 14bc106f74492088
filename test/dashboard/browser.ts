/** Screenshots of the dashboard's browser tests. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export { launchChromium } from "../support/chromium.js";

/** Where screenshots go: a git-ignored folder, kept as the CI job's artefacts. */
export const ARTIFACTS_DIR = join(import.meta.dirname, ".artifacts");

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
