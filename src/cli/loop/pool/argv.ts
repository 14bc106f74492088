/** The command line of a pool's slot: the pool's own, without the pool's flags, and with a command read from stdin. */

const POOL_FLAGS = new Set(["--gpus", "--per-gpu", "--gpu-telemetry"]);

/**
 * `argv` (the arguments after the script) without `--gpus`/`--per-gpu`/`--gpu-telemetry` and their values; flags after `--` belong to
 * the command and stay. A command the pool read from stdin is passed on as `--command` (a slot's stdin is empty).
 */
export function slotArgv(argv: readonly string[], stdinCommand: string | null): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      return out;
    }
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    if (POOL_FLAGS.has(name)) {
      if (name === arg) i++; // the value is the next argument
      continue;
    }
    out.push(arg);
  }
  if (stdinCommand !== null) out.push("--command", stdinCommand);
  return out;
}
