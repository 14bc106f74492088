/**
 * A fleet of `labtasker loop` processes on one queue, kept at a given size while the queue has work: a loop that
 * ends because it found nothing pending (while killed loops' tasks are still waiting for their heartbeat timeout) is
 * started again, as a user would.
 */
import { join } from "node:path";
import { startLoop, writeClientConfig, type Proc } from "./procs.js";
import type { QueueHandle, Workspace } from "./scenario.js";

export interface FleetOptions {
  dir: string;
  logDir: string;
  size: number;
  /** Arguments after `loop`. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The server each loop talks to, by loop index (several servers: loops are spread over them). */
  apiBaseUrl: (index: number) => string;
  queueName: string;
  password: string;
  heartbeatInterval: number;
}

/** A scenario's fleet: loops in its workspace, writing to its ledger, on its queue. */
export function scenarioFleet(
  ws: Workspace,
  queue: QueueHandle,
  options: Pick<FleetOptions, "size" | "args" | "apiBaseUrl" | "heartbeatInterval">,
): Fleet {
  return new Fleet({
    ...options,
    dir: ws.dir,
    logDir: ws.logDir,
    env: { FAULTS_LEDGER: ws.ledger },
    queueName: queue.queueName,
    password: queue.password,
  });
}

export class Fleet {
  readonly loops: Proc[] = [];
  /** Every loop ever started (killed and ended ones too). */
  readonly all: Proc[] = [];
  started = 0;
  /** Loops that ended by themselves (exit 0: nothing pending) and were replaced while work remained. */
  respawnedAfterDone = 0;
  /**
   * Loops that could not start because the server was unreachable at that moment (exit 1 before the loop began:
   * `labtasker loop` checks the server first, by design), replaced by new ones.
   */
  refusedAtStart = new Set<Proc>();
  private supervising = false;

  constructor(private readonly options: FleetOptions) {}

  start(): void {
    for (let i = 0; i < this.options.size; i++) this.spawn(i);
  }

  /** Starts loop number `index` (its client root and log are per start). */
  spawn(index: number): Proc {
    const n = this.started++;
    const root = writeClientConfig(join(this.options.dir, `loop-${n}`), {
      apiBaseUrl: this.options.apiBaseUrl(index),
      queueName: this.options.queueName,
      password: this.options.password,
      heartbeatInterval: this.options.heartbeatInterval,
    });
    const proc = startLoop(`loop-${n}`, { root, args: this.options.args, logFile: join(this.options.logDir, `loop-${n}.log`), env: this.options.env });
    (proc as Proc & { index: number }).index = index;
    this.loops[index] = proc;
    this.all.push(proc);
    return proc;
  }

  indexOf(proc: Proc): number {
    return (proc as Proc & { index: number }).index;
  }

  /** Replaces loops that exited while `workLeft()` says tasks remain; runs until {@link stopSupervising}. */
  async supervise(workLeft: () => boolean): Promise<void> {
    this.supervising = true;
    while (this.supervising) {
      if (workLeft()) {
        for (let i = 0; i < this.options.size; i++) {
          const proc = this.loops[i];
          if (!proc || proc.running) continue;
          if (proc.exit?.code === 0) {
            this.respawnedAfterDone += 1;
            this.spawn(i);
          } else if (proc.exit?.code === 1 && Fleet.neverStarted(proc)) {
            this.refusedAtStart.add(proc);
            this.spawn(i);
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** A loop that gave up at its start-up check, before running anything. */
  static neverStarted(proc: Proc): boolean {
    const log = proc.log();
    return !log.includes("Got command") && /Cannot reach the labtasker server/.test(log);
  }

  stopSupervising(): void {
    this.supervising = false;
  }

  /** Loops that ended with an error (not killed by us, not exit 0). */
  failures(killed: Set<Proc>): Proc[] {
    return this.all.filter((proc) => !proc.running && !killed.has(proc) && !this.refusedAtStart.has(proc) && proc.exit?.code !== 0 && proc.exit?.signal !== "SIGTERM");
  }

  async stopAll(): Promise<void> {
    this.stopSupervising();
    await Promise.all(this.all.filter((proc) => proc.running).map((proc) => proc.stop(15_000)));
  }
}
