#!/usr/bin/env node
/**
 * `labtasker` (alias `lt`): builds the command tree, adds `loop` from ./loop/command.js (another module, imported
 * only when `loop` is asked for), runs the command, and turns any error into one line on stderr and an exit code
 * (./common/errors.ts). Heavy modules (the API client, Redis, the filter compiler) are imported inside actions.
 */
import { existsSync } from "node:fs";
import module from "node:module";
import { CommanderError, type Command } from "commander";
import { EXIT, reportError } from "./common/errors.js";
import { buildProgram } from "./program.js";

/** Global options that take a value (`labtasker --root DIR task ls`), to find the command name in argv. */
const GLOBAL_VALUE_OPTIONS = new Set(["--root", "--api-base-url", "--queue-name", "--password", "--redis-url", "--key-prefix"]);

/** The first operand of the command line (the command name), skipping global options and their values. */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") return argv[i + 1];
    if (!token.startsWith("-")) return token;
    if (GLOBAL_VALUE_OPTIONS.has(token)) i++;
  }
  return undefined;
}

const LOOP_MODULE = new URL("./loop/command.js", import.meta.url);
const LOOP_DESCRIPTION = "Fetch pending tasks and run a command for each, until none is left.";

/**
 * Adds `loop`. The real command is imported when `loop` (or `help loop`) is on the command line; for any other
 * command only a stub named `loop` is listed, so the root help shows it without loading the loop runtime.
 */
async function addLoop(program: Command, argv: readonly string[]): Promise<void> {
  if (!existsSync(LOOP_MODULE)) return;
  const name = commandName(argv);
  const wanted = name === "loop" || (name === "help" && argv.includes("loop"));
  if (!wanted) {
    program.command("loop").description(LOOP_DESCRIPTION).allowUnknownOption().allowExcessArguments();
    return;
  }
  let module: { loopCommand?: Command | (() => Command | Promise<Command>) };
  try {
    module = (await import(LOOP_MODULE.href)) as typeof module;
  } catch (error) {
    // Only a missing module is expected (the loop may be built separately); anything else is a real failure.
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return;
    throw error;
  }
  const exported = module.loopCommand;
  const loop = typeof exported === "function" ? await exported() : exported;
  if (!loop) return;
  loop.copyInheritedSettings(program);
  program.addCommand(loop);
}

/** Commander's own exits: help and version are successes, every parse error is a usage error (2, as click). */
function exitCodeOf(error: CommanderError): number {
  if (error.exitCode === 0) return EXIT.OK;
  return error.exitCode === EXIT.USAGE || error.code.startsWith("commander.") ? EXIT.USAGE : error.exitCode;
}

async function main(argv: string[]): Promise<number> {
  // Node >= 22.1 caches compiled code on disk, which halves the cost of the modules actions import (the API client,
  // the filter compiler); on Node 20 the function does not exist and nothing changes.
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  const program = buildProgram();
  await addLoop(program, argv);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeOf(error);
    return reportError(error);
  }
}

// A reader that goes away (`labtasker task ls -q | head -1`) ends the process quietly, as a Unix tool does.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : EXIT.OK);
  process.exit(reportError(error));
});

let interrupted = false;
process.on("SIGINT", () => {
  // A second Ctrl+C, or one while nothing listens for it, ends the process at once.
  if (interrupted || process.listenerCount("SIGINT") === 1) process.exit(EXIT.INTERRUPTED);
  interrupted = true;
});

/**
 * Exits once stdout and stderr are flushed, instead of waiting for the event loop to empty: fetch keeps its
 * connection to the server open for reuse, which holds a finished command for another 50 to 100 ms.
 */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error: unknown) => exit(reportError(error)));
