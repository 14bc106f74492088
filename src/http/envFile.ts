/**
 * `labtasker-server serve --env-file PATH`, as v1 reads it (pydantic-settings): `KEY=VALUE` lines, names
 * case-insensitive, `#` comments, optional `export ` and quotes. Variables already in the environment win over the
 * file, as in v1; the file wins over defaults.
 */
import { readFileSync } from "node:fs";

/** The variables of an env file's text, names upper-cased. */
export function parseEnvFile(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim().replace(/^export\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const equals = line.indexOf("=");
    if (equals <= 0) continue;
    const name = line.slice(0, equals).trim().toUpperCase();
    let value = line.slice(equals + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, ""); // an unquoted value ends at a comment
    variables.set(name, value);
  }
  return variables;
}

/** The `--env-file` value among command-line arguments (`--env-file PATH` or `--env-file=PATH`), if any. */
export function envFileArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return undefined;
    if (arg === "--env-file") return argv[i + 1];
    if (arg.startsWith("--env-file=")) return arg.slice("--env-file=".length);
  }
  return undefined;
}

/**
 * Sets the file's variables that the environment does not set (compared case-insensitively, as v1 does). Read before
 * the flags are parsed, so every option's environment fallback sees them. Throws with the path when unreadable.
 */
export function loadEnvFile(path: string, env: NodeJS.ProcessEnv = process.env): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read --env-file ${path}: ${(error as Error).message}`);
  }
  const present = new Set(Object.keys(env).map((name) => name.toUpperCase()));
  for (const [name, value] of parseEnvFile(text)) if (!present.has(name)) env[name] = value;
}
