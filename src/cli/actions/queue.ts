/** `queue create | create-from-config | get | update | delete`. */
import type { Command } from "commander";
import type { JsonObject } from "../../json.js";
import { loadCliConfig } from "../common/config.js";
import { missingCredentials, openApi, withApi } from "../common/connect.js";
import { AbortedError, UsageError } from "../common/errors.js";
import { Prompter } from "../common/input.js";
import { prettyJson, queueRecord } from "../common/output.js";
import { colorEnabled, note, palette } from "../common/terminal.js";
import { parseDictOption } from "../common/values.js";

function printQueueId(queueId: string, quiet: boolean | undefined, what: string): void {
  process.stdout.write(quiet ? `${queueId}\n` : `Queue ${what} with ID: ${queueId}\n`);
}

function metadataOption(text: string | undefined): JsonObject | null {
  return text === undefined ? null : parseDictOption(text, "--metadata");
}

/** A new password, asked twice without echo; `missing` is the usage error when none is given. */
async function askNewPassword(prompter: Prompter, question: string, missing: string): Promise<string> {
  const first = await prompter.ask(question, { hidden: true });
  const second = first === null ? null : await prompter.ask("Repeat for confirmation", { hidden: true });
  if (first === null || first === "") throw new UsageError(missing);
  if (first !== second) throw new UsageError("the two passwords do not match");
  return first;
}

interface CreateOptions {
  queueName?: string;
  password?: string;
  metadata?: string;
  quiet?: boolean;
}

/** `queue create`: name and password from the flags, else QUEUE_NAME and PASSWORD (as v1), else prompted. */
export async function create(command: Command): Promise<void> {
  const options = command.opts<CreateOptions>();
  const metadata = metadataOption(options.metadata);
  let queueName = options.queueName ?? (process.env.QUEUE_NAME || undefined);
  let password = options.password ?? (process.env.PASSWORD || undefined);
  if (queueName === undefined || password === undefined) {
    const prompter = new Prompter();
    try {
      queueName ??= (await prompter.ask("Queue name")) ?? undefined;
      if (queueName === undefined || queueName === "") throw new UsageError("--queue-name is required (or QUEUE_NAME)");
      password ??= await askNewPassword(prompter, "Password", "--password is required (or PASSWORD)");
    } finally {
      prompter.close();
    }
  }
  const config = await loadCliConfig(command);
  // Creating a queue needs no credentials: connect with the new queue's own.
  const api = await openApi({ ...config, queueName, password });
  try {
    printQueueId(await api.createQueue({ queueName, password, metadata }), options.quiet, "created");
  } finally {
    await api.close();
  }
}

/** `queue create-from-config`: the queue name and password of the configuration. */
export async function createFromConfig(command: Command): Promise<void> {
  const options = command.opts<{ metadata?: string; quiet?: boolean }>();
  const metadata = metadataOption(options.metadata);
  const config = await loadCliConfig(command);
  if (!config.queueName || !config.password) throw missingCredentials(config);
  const { queueName, password } = config;
  await withApi(command, async (api) => printQueueId(await api.createQueue({ queueName, password, metadata }), options.quiet, "created"));
}

function printQueue(queue: Parameters<typeof queueRecord>[0]): void {
  process.stdout.write(`${prettyJson(queueRecord(queue), palette(colorEnabled(process.stdout)))}\n`);
}

/** `queue get`: the queue as JSON, or its id with -q. */
export async function get(command: Command): Promise<void> {
  const { quiet } = command.opts<{ quiet?: boolean }>();
  await withApi(command, async (api) => {
    const queue = await api.getQueue();
    if (quiet) process.stdout.write(`${queue.queueId}\n`);
    else printQueue(queue);
  });
}

interface UpdateOptions {
  newQueueName?: string;
  newPassword?: string | true;
  metadata?: string;
  quiet?: boolean;
}

/** `queue update`: prints what changes (stderr), then the updated queue (stdout). Does not rewrite client.toml, as v1. */
export async function update(command: Command): Promise<void> {
  const options = command.opts<UpdateOptions>();
  const metadata = metadataOption(options.metadata);
  let newPassword: string | undefined;
  if (options.newPassword === true) {
    const prompter = new Prompter();
    try {
      newPassword = await askNewPassword(prompter, "New password", "--new-password needs a value (none could be prompted for)");
    } finally {
      prompter.close();
    }
  } else {
    newPassword = options.newPassword;
  }
  if (!options.quiet) {
    const mode = metadata === null ? "No change" : Object.keys(metadata).length === 0 ? "Reset to {}" : "Update";
    note(
      `Updating queue with:\n  New Queue Name: ${options.newQueueName ?? "No change"}\n` +
        `  New Password: ${newPassword ? "******" : "No change"}\n  Metadata (${mode}): ${metadata === null ? "{}" : prettyJson(metadata, palette(false)).replace(/\n\s*/g, " ")}`,
    );
  }
  await withApi(command, async (api, config) => {
    const queue = await api.updateQueue({ newQueueName: options.newQueueName ?? null, newPassword: newPassword ?? null, metadataUpdate: metadata });
    if (!options.quiet) printQueue(queue);
    if (options.newQueueName || newPassword) {
      note(`Note: ${config.file} still holds the old ${options.newQueueName ? "name" : "password"}; update it with \`labtasker config\`.`);
    }
  });
}

/** `queue delete`: asks first (unless -y), naming the queue; without --cascade its tasks and workers are kept. */
export async function remove(command: Command): Promise<void> {
  const options = command.opts<{ cascade?: boolean; yes?: boolean }>();
  const cascade = options.cascade ?? false;
  await withApi(command, async (api) => {
    if (!options.yes) {
      const { queueName } = await api.getQueue();
      const prompter = new Prompter();
      try {
        if (!(await prompter.confirm(`Are you sure you want to delete current queue '${queueName}' with cascade=${cascade}?`, false))) {
          throw new AbortedError();
        }
      } finally {
        prompter.close();
      }
    }
    await api.deleteQueue({ cascadeDelete: cascade });
    note("Queue deleted.");
  });
}
