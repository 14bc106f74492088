/** `worker create | ls | report | delete`. */
import type { Command } from "commander";
import type { Worker, WorkerStatus } from "../../core/model.js";
import { withApi } from "../common/connect.js";
import { cliPaging, compileExtraFilter, parseSorts, printListing, refuseQuietWithVerbose, type LsFlags } from "../common/listing.js";
import { workerRecord } from "../common/output.js";
import { note } from "../common/terminal.js";
import { parseDictOption } from "../common/values.js";
import { confirmDeletion, reportDeletions, targetIds } from "./taskDelete.js";

interface CreateOptions {
  workerName?: string;
  metadata?: string;
  maxRetries: number;
  quiet?: boolean;
}

export async function create(command: Command): Promise<void> {
  const options = command.opts<CreateOptions>();
  const metadata = options.metadata === undefined ? null : parseDictOption(options.metadata, "--metadata");
  await withApi(command, async (api) => {
    const workerId = await api.createWorker({ workerName: options.workerName ?? null, metadata, maxRetries: options.maxRetries });
    process.stdout.write(options.quiet ? `${workerId}\n` : `Worker created with ID: ${workerId}\n`);
  });
}

interface LsOptions extends LsFlags {
  workerId?: string;
  workerName?: string;
  status?: WorkerStatus;
}

export async function ls(command: Command): Promise<void> {
  const options = command.opts<LsOptions>();
  refuseQuietWithVerbose(options);
  const target = {
    workerId: options.workerId ?? null,
    workerName: options.workerName ?? null,
    status: options.status ?? null,
    extraFilter: (await compileExtraFilter(options.extraFilter, "worker", options.verbose)) ?? null,
    sort: (await parseSorts(options.sort ?? [])) ?? null,
  };
  await withApi(command, async (api) => {
    const pages = api.iterWorkerPages({ ...target, ...cliPaging(options.offset) });
    await printListing(pages, options, { id: (worker: Worker) => worker.workerId, record: workerRecord });
  });
}

export async function report(command: Command): Promise<void> {
  const [workerId, status] = command.processedArgs as [string, WorkerStatus];
  await withApi(command, async (api) => {
    await api.reportWorkerStatus(workerId, status);
    note(`Worker ${workerId} status updated to ${status}.`);
  });
}

export async function remove(command: Command): Promise<void> {
  const options = command.opts<{ cascadeUpdate?: boolean; yes?: boolean }>();
  const { ids, fromStdin } = await targetIds(command.args, "worker");
  if (ids.length === 0) {
    note("No worker ids given: nothing to delete.");
    return;
  }
  if (!options.yes) await confirmDeletion(`Are you sure you want to delete ${ids.length === 1 ? `worker '${ids[0]}'` : `${ids.length} workers`}?`, fromStdin);
  const cascadeUpdate = options.cascadeUpdate ?? true;
  await withApi(command, (api) => reportDeletions("Worker", (onEach) => api.deleteWorkers(ids, { cascadeUpdate, onEach })));
}
