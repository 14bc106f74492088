/**
 * The `labtasker` command tree: every command, option and help text, and nothing else. Actions live in
 * `./actions/*` and are imported only when their command runs, so `labtasker --help` and `task submit` load no more
 * than they use. `loop` is registered by main.ts from `./loop/command.js`.
 */
import { Command, Option } from "commander";
import { TASK_STATUSES, WORKER_STATUSES } from "../core/model.js";
import { NOTIFY_CONDITIONS, NOTIFY_FORMATS } from "../core/notify.js";
import { LS_FORMATS, collect, float, integer, oneOf } from "./common/options.js";

/** An action that imports its module when it runs; the module's function gets the command (options, arguments). */
function lazy<M>(load: () => Promise<M>, pick: (module: M) => (command: Command) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    await pick(await load())(command);
  };
}

/** A command with subcommands: alone it prints its help (to stdout, exit 0, as v1); an unknown subcommand is an error. */
function group(parent: Command, name: string, description: string): Command {
  const command = parent.command(name).description(description).allowExcessArguments();
  command.action((_options: unknown, self: Command) => {
    if (self.args.length > 0) self.error(`error: unknown command '${self.args[0]}' (see 'labtasker ${name} --help')`, { exitCode: 2, code: "commander.unknownCommand" });
    self.help();
  });
  return command;
}

const SETTINGS_HELP = `
Settings: a flag wins over the environment, which wins over the config file, which wins over the default.
  flag              environment             config file (client.toml)   default
  --root            LABTASKER_ROOT          -                           ./.labtasker
  --api-base-url    LABTASKER_API_BASE_URL  endpoint.api_base_url       http://localhost:9321/
  --queue-name      LABTASKER_QUEUE_NAME    queue.queue_name            -
  --password        LABTASKER_PASSWORD      queue.password              -
  --redis-url       LABTASKER_REDIS_URL     redis_url                   - (set: direct mode, no server)
  --key-prefix      LABTASKER_KEY_PREFIX    key_prefix                  labtasker
The config file is $LABTASKER_ROOT/client.toml (config.toml is read when client.toml is absent).

Exit codes: 0 done; 1 refused by the server, failed, or aborted; 2 bad flag or value;
130 interrupted; 255 not configured (run \`labtasker init\`), or \`health\` cannot reach the server.

Data (ids, records) goes to stdout; messages and prompts go to stderr.`;

/** The output and paging flags of `task ls` and `worker ls` (the fields of `LsFlags` in ./common/listing.ts). */
function listingOptions(command: Command, what: "task" | "worker", help: { sort: string; fmt: string }): Command {
  return command
    .option("-q, --quiet", `Print only ${what} ids, one per line.`)
    .option("--ansi", "Colour the output (on by default on a terminal; never with NO_COLOR or TERM=dumb; always with FORCE_COLOR).")
    .option("--no-ansi", "No colours.")
    .option("--pager", "Page the output on a terminal (the default).")
    .option("--no-pager", "Do not page.")
    .option("--limit <n>", "v1's page size, kept for its scripts: every match is listed, 1000 a request.", integer(1), 100)
    .option("--offset <n>", `Skip this many ${what}s first.`, integer(0), 0)
    .option("-S, --sort <field:order>", `Sort by field, asc or desc; repeatable (default: ${help.sort}).`, collect)
    .option("--fmt <format>", `Output format: ${LS_FORMATS.join(", ")}${help.fmt}.`, oneOf(LS_FORMATS), "yaml")
    .option("-v, --verbose", "Print the parsed filter (on stderr).");
}

const FILTER_HELP =
  'Filter: a Python expression (\'args.lr > 0.01 and "v1" in list(metadata.tags)\'), a Python dict holding a ' +
  "MongoDB query ('{\"metadata.tag\": {\"$in\": [\"a\", \"b\"]}}'), or jsonata:<expression>.";

export function buildProgram(): Command {
  // exitOverride first: subcommands copy it when they are created, so every parse error reaches main.ts.
  const program = new Command("labtasker")
    .exitOverride()
    .description("labtasker (Redis-backed, wire-compatible with labtasker v1): turn experiment loops into a task queue.")
    .helpOption("-h, --help", "Show help.")
    .helpCommand("help [command]", "Show help for a command.")
    .enablePositionalOptions()
    .allowExcessArguments()
    .showHelpAfterError("(add --help for usage)")
    .option("--version", "Print the version.")
    .option("--root <dir>", "Config directory (env LABTASKER_ROOT; default ./.labtasker).")
    .option("--api-base-url <url>", "Server URL (env LABTASKER_API_BASE_URL; file endpoint.api_base_url; default http://localhost:9321/).")
    .option("--queue-name <name>", "Queue to use (env LABTASKER_QUEUE_NAME; file queue.queue_name).")
    .option("--password <password>", "Queue password (env LABTASKER_PASSWORD; file queue.password).")
    .option("--redis-url <url>", "Direct mode: use this Redis instead of a server (env LABTASKER_REDIS_URL; file redis_url).")
    .option("--key-prefix <prefix>", "Direct mode: prefix of every Redis key (env LABTASKER_KEY_PREFIX; file key_prefix; default labtasker).")
    .addHelpText("after", SETTINGS_HELP);
  program.action(lazy(() => import("./actions/setup.js"), (m) => m.root));

  program
    .command("init")
    .description("Set up the client configuration ($LABTASKER_ROOT/client.toml): prompts, or flags for scripts.")
    .option("--api-base-url <url>", "Server URL (prompted; default http://localhost:9321).")
    .option("--queue-name <name>", "Queue name (prompted).")
    .option("--password <password>", "Queue password (prompted, hidden, twice).")
    .option("--redis-url <url>", "Direct mode: Redis URL instead of a server.")
    .option("--create-queue", "Create the queue if it does not exist (the default; prompted when interactive).")
    .option("--no-create-queue", "Never create the queue.")
    .option("-y, --yes", "Accept defaults instead of prompting (for scripts and CI).")
    .action(lazy(() => import("./actions/setup.js"), (m) => m.init));

  program
    .command("config")
    .description("Edit the client configuration in an editor, checking it before it is saved.")
    .option("--editor <editor>", "Editor to use (default: $VISUAL, $EDITOR, sensible-editor, vim, nano, vi).")
    .option("--show", "Print the effective settings and where each comes from (the password masked) instead of editing.")
    .option("--set <key=value>", "Set one key (dotted, e.g. queue.queue_name=q1) without an editor; repeatable.", collect)
    .action(lazy(() => import("./actions/setup.js"), (m) => m.config));

  program
    .command("health")
    .description("Check that the server (or Redis, in direct mode) is reachable and healthy.")
    .action(lazy(() => import("./actions/setup.js"), (m) => m.health));

  defineQueue(program);
  defineTask(program);
  defineWorker(program);
  defineEvent(program);
  return program;
}

function defineQueue(program: Command): void {
  const queue = group(program, "queue", "Create, show, update and delete queues.");
  queue
    .command("create")
    .description("Create a queue on the server.")
    .option("--queue-name <name>", "Name of the new queue (env QUEUE_NAME; prompted when missing).")
    .option("--password <password>", "Password of the new queue (env PASSWORD; prompted, hidden, when missing).")
    .option("--metadata <pydict>", "Queue metadata as a Python dict, e.g. '{\"project\": \"vision\"}'.")
    .option("-q, --quiet", "Print only the queue id.")
    .action(lazy(() => import("./actions/queue.js"), (m) => m.create));
  queue
    .command("create-from-config")
    .description("Create the queue named in the configuration, with its password.")
    .option("--metadata <pydict>", "Queue metadata as a Python dict.")
    .option("-q, --quiet", "Print only the queue id.")
    .action(lazy(() => import("./actions/queue.js"), (m) => m.createFromConfig));
  queue
    .command("get")
    .description("Show the current queue (as JSON).")
    .option("-q, --quiet", "Print only the queue id.")
    .action(lazy(() => import("./actions/queue.js"), (m) => m.get));
  queue
    .command("update")
    .description("Rename the queue, change its password or update its metadata.")
    .option("--new-queue-name <name>", "New name (unchanged when not given).")
    .option("--new-password [password]", "New password; without a value it is prompted (hidden, twice).")
    .option("--metadata <pydict>", "Metadata to merge, as a Python dict; '{}' clears it.")
    .option("-q, --quiet", "Print nothing.")
    .action(lazy(() => import("./actions/queue.js"), (m) => m.update));
  queue
    .command("delete")
    .description("Delete the current queue.")
    .option("--cascade", "Also delete its tasks and workers (cannot be undone).")
    .option("--no-cascade", "Keep its tasks and workers (the default).")
    .option("-y, --yes", "Do not ask for confirmation.")
    .action(lazy(() => import("./actions/queue.js"), (m) => m.remove));
  defineNotify(queue);
}

/** `queue notify`: notification rules (an extension of our server; docs/notifications.md). */
function defineNotify(queue: Command): void {
  const notify = group(queue, "notify", "Notification rules: a server POSTs a message (a signed JSON document or Slack text) when a condition holds. In direct mode rules are stored, and messages go when a labtasker-server runs on the same Redis.");
  notify
    .command("add")
    .description("Add a rule; prints its id and the secret that signs its messages (shown this once).")
    .requiredOption("--on <filter>", `When to send: a filter over the task after each transition (as task ls -f; event.old_state and event.new_state name the transition), or ${NOTIFY_CONDITIONS.join(" or ")}.`)
    .requiredOption("--url <url>", "Where to POST (http or https; the server's --notify-allow-host must name its host).")
    .option("--format <format>", `Message format: ${NOTIFY_FORMATS.join(" (a signed JSON document) or ")} (Slack/Mattermost incoming webhook text).`, oneOf(NOTIFY_FORMATS), "json")
    .option("--digest <duration>", "At most one message per window (e.g. 60s, 5m), holding the count of the events it stands for.")
    .option("-q, --quiet", "Print only the rule id and the secret, one per line.")
    .action(lazy(() => import("./actions/notify.js"), (m) => m.add));
  notify
    .command("ls")
    .description("List the rules, or with --deliveries the last delivery attempts (newest first).")
    .option("--deliveries", "List delivery attempts and their outcome instead of rules.")
    .option("--limit <n>", "Delivery attempts to list (at most 100 are kept).", integer(1), 100)
    .option("--fmt <format>", `Output format: ${LS_FORMATS.join(", ")}.`, oneOf(LS_FORMATS), "yaml")
    .action(lazy(() => import("./actions/notify.js"), (m) => m.ls));
  notify
    .command("rm")
    .description("Remove rules by id; their messages not sent yet are dropped.")
    .argument("<rule_ids...>", "Ids of the rules to remove.")
    .action(lazy(() => import("./actions/notify.js"), (m) => m.remove));
  notify
    .command("test")
    .description("Send a test message to a rule's target and say how it went.")
    .argument("<rule_id>", "The rule.")
    .option("--wait <seconds>", "Seconds to wait for the outcome.", integer(0), 10)
    .action(lazy(() => import("./actions/notify.js"), (m) => m.test));
}

function defineTask(program: Command): void {
  const task = group(program, "task", "Submit, list, update, count and delete tasks.");
  task
    .command("submit")
    .description("Submit a task, or many from JSON lines (--jsonl).")
    .argument("[args...]", "Task arguments after --, e.g. -- --lr=0.1 --model resnet --optim.momentum 0.9")
    .option("--name, --task-name <name>", "Task name.")
    .option("--args <pydict>", "Task arguments as a Python dict instead of after --, e.g. '{\"lr\": 0.1}'.")
    .option("--metadata <pydict>", "Task metadata as a Python dict, e.g. '{\"tags\": [\"v1\"]}'.")
    .option("--cmd <command>", "Command for this task (normally the worker's loop command is used).")
    .option("--heartbeat-timeout <seconds>", "Seconds without a heartbeat before a running task fails.", float(0), 60)
    .option("--task-timeout <seconds>", "Seconds a run may take in all (default: no limit).", integer(0))
    .option("--max-retries <n>", "Attempts before the task fails for good.", integer(0), 3)
    .option("--priority <n>", "Higher runs first.", integer(), 10)
    .option("--depends-on <task_id>", "Run only once this task has succeeded; repeatable (an extension: docs/tasks.md).", collect)
    .option("--dedup", "Return the existing task of the same name and args instead of submitting a second (default: the queue metadata's \"dedup\").")
    .option("--no-dedup", "Submit even when the queue's metadata makes dedup the default.")
    .option("--id <task_id>", "Submit under this id (t_ and 12 of A-Za-z0-9_-): the same task again returns it, another is refused.")
    .option("--env <key=value>", "Set KEY=VALUE in the task command's environment when the loop runs it; repeatable.", collect)
    .option("--max-timeouts <n>", "Runs that may reach their deadline and go back to pending without using a retry.", integer(0))
    .option("--jsonl <file>", "Submit one task per JSON line of FILE ('-': stdin); each line holds submit fields " +
      "(args, metadata, task_name, cmd, priority, max_retries, heartbeat_timeout, task_timeout, and the extensions " +
      "depends_on, ref, env, max_timeouts, dedup, task_id); the flags above are defaults.")
    .option("-q, --quiet", "Print only the task id(s).")
    .addHelpText("after", `
Arguments after -- (contract of labtasker v1): --key=value or --key value; values are Python literals
(0.1 float, 10 int, True, None, [1, 2]), anything else a string; dashes in keys become underscores;
dotted keys nest (--optim.lr 0.1 -> {"optim": {"lr": 0.1}}). Negative numbers work (--lr -0.1).
A key without a value is an error: write --flag=True.

Examples:
  labtasker task submit -- --lr=0.001 --model=resnet
  labtasker task submit --name grid --metadata '{"tags": ["v1"]}' --priority 20 -- --lr=0.01
  python make_sweep.py | labtasker task submit --jsonl -     # one {"args": {...}} per line
  labtasker task submit --depends-on t_XXXXXXXXXXXX --env SEED=1 -- --stage=2

In --jsonl, a line names itself with "ref" (any string that is not a task id) and a later line depends on it with
"depends_on": ["<ref>"] (by key, not position); "dedup": true lines print "N new, M already there".`)
    .action(lazy(() => import("./actions/taskSubmit.js"), (m) => m.submit));

  const taskLs = task
    .command("ls")
    .description("List tasks (all pages), as YAML, JSON lines or JSON.")
    .option("--id, --task-id <id>", "Only this task.")
    .option("--name, --task-name <name>", "Only tasks with this name.")
    .option("-s, --status <status>", `Only tasks in this status (${TASK_STATUSES.join(", ")}).`, oneOf(TASK_STATUSES))
    .option("-f, --extra-filter <filter>", FILTER_HELP);
  listingOptions(taskLs, "task", { sort: "priority:desc, last_modified:asc, created_at:asc", fmt: " (jsonl: one JSON object per line)" })
    .option("--piped-in", "Read task ids from stdin (e.g. from another command's -q output).")
    .action(lazy(() => import("./actions/taskLs.js"), (m) => m.ls));

  task
    .command("update")
    .description("Update every matching task: with -u/-- field=value, or in an editor when no update is given.")
    .argument("[updates...]", "Updates after --, e.g. -- args.lr=0.005 status=pending")
    .option("--id, --task-id <id>", "Only this task.")
    .option("--name, --task-name <name>", "Only tasks with this name.")
    .option("-s, --status <status>", `Only tasks in this status (${TASK_STATUSES.join(", ")}).`, oneOf(TASK_STATUSES))
    .option("-f, --extra-filter <filter>", FILTER_HELP)
    .option("-u, --update <field=value>", "An update; repeatable. field.key=value merges (args.lr=0.005), field=value replaces.", collect)
    .option("--limit <n>", "v1's page size, kept for its scripts: every match is updated, found 1000 a request.", integer(1), 1000)
    .option("--offset <n>", "Skip this many matching tasks first.", integer(0), 0)
    .option("--reset-pending", "Also re-queue each task: status pending, retries 0.")
    .option("--no-reset-pending", "Do not re-queue (the default).")
    .option("-q, --quiet", "No prompts and no result view (for scripts).")
    .option("--editor <editor>", "Editor for editing tasks when no update is given (default: $VISUAL, $EDITOR, ...).")
    .option("-v, --verbose", "Print the parsed filter (on stderr).")
    .addHelpText("after", `
Targets: --id, --name, -s, -f (combined with AND), or task ids piped on stdin when none is given
(labtasker task ls -s failed -q | labtasker task update -u status=pending). No target: every task.

Examples:
  labtasker task update --id <task_id> -u 'args.lr=0.005'
  labtasker task update -s failed -f 'args.model == "resnet"' -u 'args.lr=0.005' --reset-pending -q`)
    .action(lazy(() => import("./actions/taskUpdate.js"), (m) => m.update));

  task
    .command("delete")
    .description("Delete tasks by id (arguments, or ids piped on stdin).")
    .argument("[task_ids...]", "Ids of the tasks to delete.")
    .option("-y, --yes", "Do not ask for confirmation.")
    .action(lazy(() => import("./actions/taskDelete.js"), (m) => m.remove));

  task
    .command("count")
    .description("Count tasks per status (as labtasker-plugin-task-count).")
    .option("-f, --extra-filter <filter>", FILTER_HELP)
    .option("--limit <n>", "Stop counting a status at N and print '>= N' (default: exact counts).", integer(1))
    .option("--fmt <format>", "Output format: text or json.", oneOf(["text", "json"] as const), "text")
    .action(lazy(() => import("./actions/taskCount.js"), (m) => m.count));

  task
    .command("logs")
    .description("Print a task's output, as its loop sent it (-f: follow the run to its end).")
    .argument("<task_id>", "The task.")
    .option("--attempt <n>", "Which run of the task (1 for the first; default: the last).", integer(1))
    .option("-f, --follow", "Keep printing the output as it comes, until the run ends.")
    .action(lazy(() => import("./actions/taskLogs.js"), (m) => m.logs));
}

function defineWorker(program: Command): void {
  const worker = group(program, "worker", "Create, list, report and delete workers.");
  worker
    .command("create")
    .description("Create a worker.")
    .option("--name, --worker-name <name>", "Worker name.")
    .option("--metadata <pydict>", "Worker metadata as a Python dict, e.g. '{\"gpu\": \"a100\"}'.")
    .option("--max-retries <n>", "Failures after which the worker is crashed.", integer(0), 3)
    .option("-q, --quiet", "Print only the worker id.")
    .action(lazy(() => import("./actions/worker.js"), (m) => m.create));
  const workerLs = worker
    .command("ls")
    .description("List workers (all pages), as YAML, JSON lines or JSON.")
    .option("--id, --worker-id <id>", "Only this worker.")
    .option("--name, --worker-name <name>", "Only workers with this name.")
    .option("-s, --status <status>", `Only workers in this status (${WORKER_STATUSES.join(", ")}).`, oneOf(WORKER_STATUSES))
    .option("-f, --extra-filter <filter>", FILTER_HELP);
  listingOptions(workerLs, "worker", { sort: "last_modified:asc", fmt: "" }).action(lazy(() => import("./actions/worker.js"), (m) => m.ls));
  worker
    .command("report")
    .description("Set a worker's status: revive a crashed worker (active) or suspend one.")
    .argument("<worker_id>", "The worker.")
    .argument("<status>", `New status (${WORKER_STATUSES.join(", ")}).`, oneOf(WORKER_STATUSES))
    .action(lazy(() => import("./actions/worker.js"), (m) => m.report));
  worker
    .command("delete")
    .description("Delete workers by id (arguments, or ids piped on stdin).")
    .argument("[worker_ids...]", "Ids of the workers to delete.")
    .option("--cascade-update", "Clear the worker from its tasks (the default).")
    .option("--no-cascade-update", "Leave its tasks as they are.")
    .option("-y, --yes", "Do not ask for confirmation.")
    .action(lazy(() => import("./actions/worker.js"), (m) => m.remove));
}

function defineEvent(program: Command): void {
  const event = group(program, "event", "Watch the queue's events.");
  event
    .command("listen")
    .description("Print task and worker state changes as they happen, until Ctrl+C.")
    .option("--timeout <seconds>", "Seconds to wait for the first connection.", integer(1), 10)
    .option("-v, --verbose", "Also print each event's full JSON.")
    .option("--raw", "Print each event as one JSON line (v1's EventResponse), for jq.")
    .addOption(new Option("-c, --compact", "One line per event."))
    .action(lazy(() => import("./actions/event.js"), (m) => m.listen));
}
