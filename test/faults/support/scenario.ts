/**
 * What every scenario shares: a work directory (logs, ledger, client roots; kept with FAULTS_KEEP=1 or when the
 * scenario fails), a queue, scale settings, and the figures it reports (test/faults/.results/<scenario>.json, and one
 * line on stdout).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpLabtasker } from "../../../src/client/labtasker.js";
import { ROOT } from "./procs.js";

/** FAULTS_SCALE multiplies task counts (default 1: the numbers of the issue); FAULTS_<NAME> overrides one setting. */
export function setting(name: string, fallback: number): number {
  const own = process.env[`FAULTS_${name}`];
  if (own !== undefined && own !== "") return Number(own);
  return fallback;
}

export function scaled(name: string, fallback: number): number {
  const scale = Number(process.env.FAULTS_SCALE ?? "1");
  return setting(name, Math.max(1, Math.round(fallback * (Number.isFinite(scale) && scale > 0 ? scale : 1))));
}

export interface Workspace {
  dir: string;
  logDir: string;
  ledger: string;
  /** Removes the directory unless FAULTS_KEEP is set or `failed`. */
  cleanup(failed: boolean): void;
}

export function workspace(name: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `labtasker-faults-${name}-`));
  const logDir = join(dir, "logs");
  mkdirSync(logDir);
  return {
    dir,
    logDir,
    ledger: join(dir, "ledger.txt"),
    cleanup(failed) {
      if (failed || process.env.FAULTS_KEEP) {
        console.log(`[faults] ${name}: work directory kept at ${dir}`);
        return;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface QueueHandle {
  queueName: string;
  password: string;
  queueId: string;
  /** A client with retries, as a long-running SDK program would use. */
  client: HttpLabtasker;
}

/** Creates a queue with a random name and password on the server at `baseUrl`. */
export async function createQueue(baseUrl: string, prefix = "faults"): Promise<QueueHandle> {
  const queueName = `${prefix}-${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const client = new HttpLabtasker({ baseUrl, queueName, password });
  const queueId = await client.createQueue({ queueName, password });
  return { queueName, password, queueId, client };
}

/** Records a scenario's figures in test/faults/.results/<name>.json and prints them. */
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = join(ROOT, "test/faults/.results");
  mkdirSync(dir, { recursive: true });
  const record = { scenario: name, at: new Date().toISOString(), ...figures };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  console.log(`[faults] ${name}: ${JSON.stringify(figures)}`);
}

/** Percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
