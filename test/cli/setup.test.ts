/**
 * `init`, `config`, the settings' precedence (flag > environment > file > default), help and version, and the
 * exit codes and one-line messages of errors.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { cliWithServer, expectCode } from "./helpers.js";

const TIMEOUT = { timeout: 120_000 };

function readConfig(root: string): Record<string, Record<string, unknown>> {
  return parse(readFileSync(join(root, "client.toml"), "utf8")) as Record<string, Record<string, unknown>>;
}

describe("init", TIMEOUT, () => {
  test("flags for scripts: checks the server, creates the queue, writes v1's client.toml and .gitignore", async () => {
    await using cli = await cliWithServer();
    rmSync(cli.root, { recursive: true, force: true });
    const result = await cli.run(["init", "--api-base-url", cli.server.url, "--queue-name", "ci-queue", "--password", "ci-pw", "-y"]);
    expectCode(result, 0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/Queue 'ci-queue' created with ID: [0-9a-f-]{36}\nConfiguration initialized successfully at .*client\.toml\.\n$/);
    expect(readConfig(cli.root)).toMatchObject({ endpoint: { api_base_url: cli.server.url }, queue: { queue_name: "ci-queue", password: "ci-pw" } });
    expect(readFileSync(join(cli.root, ".gitignore"), "utf8")).toContain("*.toml");
    expect(await new DirectLabtasker(cli.server.broker, { queueName: "ci-queue", password: "ci-pw" }).getQueue()).toMatchObject({ queueName: "ci-queue" });

    const again = await cli.run(["init", "--api-base-url", cli.server.url, "--queue-name", "x", "--password", "y", "-y"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("A configuration already exists");
  });

  test("env values are used; an unreachable server only warns; --no-create-queue; a taken name fails", async () => {
    await using cli = await cliWithServer();
    rmSync(cli.root, { recursive: true, force: true });
    const offline = await cli.run(["init", "-y"], { env: { LABTASKER_API_BASE_URL: "http://127.0.0.1:9", LABTASKER_QUEUE_NAME: "later", LABTASKER_PASSWORD: "pw" } });
    expectCode(offline, 0);
    expect(offline.stderr).toContain("Warning: cannot reach the server at http://127.0.0.1:9");
    expect(readConfig(cli.root).queue).toMatchObject({ queue_name: "later" });

    rmSync(cli.root, { recursive: true, force: true });
    const noCreate = await cli.run(["init", "--api-base-url", cli.server.url, "--queue-name", "absent", "--password", "pw", "--no-create-queue"]);
    expectCode(noCreate, 0);
    const absent = await cli.run(["queue", "get"]);
    expect(absent.code).toBe(1);

    rmSync(cli.root, { recursive: true, force: true });
    const taken = await cli.run(["init", "--api-base-url", cli.server.url, "--queue-name", cli.queueName, "--password", "not-the-password", "-y"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`Queue '${cli.queueName}' already exists with another password`);
    expect(existsSync(join(cli.root, "client.toml"))).toBe(false);
  });

  test("prompts: a bad name and mismatched passwords are asked again; end of input without a value is exit 2", async () => {
    await using cli = await cliWithServer();
    rmSync(cli.root, { recursive: true, force: true });
    const result = await cli.run(["init"], { input: `${cli.server.url}\nbad name\ngood_name\npw1\npw2\npw\npw\ny\n` });
    expectCode(result, 0);
    expect(result.stderr).toContain("Error: queue name must be 1..100 characters");
    expect(result.stderr).toContain("The passwords do not match. Please try again.");
    expect(readConfig(cli.root).queue).toEqual({ queue_name: "good_name", password: "pw" });
    rmSync(cli.root, { recursive: true, force: true });
    const cut = await cli.run(["init"], { input: `${cli.server.url}\n` });
    expect(cut.code).toBe(2);
    expect(cut.stderr).toContain("--queue-name is required");
  });
});

describe("config", TIMEOUT, () => {
  test("--show: each value and where it comes from, flag > env > file > default, password masked", async () => {
    await using cli = await cliWithServer();
    const fromFile = await cli.run(["config", "--show"]);
    expect(fromFile.stdout).toMatch(new RegExp(`queue_name\\s+${cli.queueName}\\s+file`));
    expect(fromFile.stdout).toMatch(/password\s+\*{6}\s+file/);
    expect(fromFile.stdout).toMatch(/key_prefix\s+labtasker\s+default/);
    expect(fromFile.stdout).not.toContain("pw\n");
    const fromEnv = await cli.run(["config", "--show"], { env: { LABTASKER_QUEUE_NAME: "envq" } });
    expect(fromEnv.stdout).toMatch(/queue_name\s+envq\s+env LABTASKER_QUEUE_NAME/);
    const fromFlag = await cli.run(["--queue-name", "flagq", "config", "--show"], { env: { LABTASKER_QUEUE_NAME: "envq" } });
    expect(fromFlag.stdout).toMatch(/queue_name\s+flagq\s+flag/);
  });

  test("the precedence is what commands use: a flag beats the environment, which beats the file", async () => {
    await using cli = await cliWithServer();
    const badEnv = await cli.run(["queue", "get", "-q"], { env: { LABTASKER_PASSWORD: "wrong" } });
    expect(badEnv.code).toBe(1);
    const flagWins = await cli.run(["--password", "pw", "queue", "get", "-q"], { env: { LABTASKER_PASSWORD: "wrong" } });
    expectCode(flagWins, 0);
    const urlFromEnv = await cli.run(["queue", "get", "-q"], { env: { LABTASKER_API_BASE_URL: "http://127.0.0.1:9" } });
    expect(urlFromEnv.code).toBe(1);
    expect(urlFromEnv.stderr).toContain("Cannot reach the labtasker server at http://127.0.0.1:9");
  });

  test("--set writes keys after checking the result; an invalid value is refused and nothing is written", async () => {
    await using cli = await cliWithServer();
    const set = await cli.run(["config", "--set", "task.heartbeat_interval=5", "--set", "display_server_notifications_level=low"]);
    expectCode(set, 0);
    expect(readConfig(cli.root)).toMatchObject({ task: { heartbeat_interval: 5 }, display_server_notifications_level: "low" });
    const bad = await cli.run(["config", "--set", "queue.queue_name=has space"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Not saved: queue.queue_name:");
    expect(readConfig(cli.root).queue).toMatchObject({ queue_name: cli.queueName });
  });

  test("editor: a valid edit is saved; an invalid one is shown and, when the user stops, not saved", async () => {
    await using cli = await cliWithServer();
    const good = join(cli.dir, "good.sh");
    writeFileSync(good, `#!/bin/sh\nsed -i 's/^heartbeat_interval = .*/heartbeat_interval = 2.5/' "$1"\n`);
    chmodSync(good, 0o755);
    const saved = await cli.run(["config", "--editor", good]);
    expectCode(saved, 0);
    expect(readConfig(cli.root).task).toEqual({ heartbeat_interval: 2.5 });
    const bad = join(cli.dir, "bad.sh");
    writeFileSync(bad, `#!/bin/sh\necho 'broken = [' >> "$1"\n`);
    chmodSync(bad, 0o755);
    const refused = await cli.run(["config"], { env: { EDITOR: bad }, input: "n\n" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Error: Invalid configuration file.");
    expect(readFileSync(join(cli.root, "client.toml"), "utf8")).not.toContain("broken");
  });

  test("a file that does not parse: commands exit 255 naming it, and `config` can still open it to fix it", async () => {
    await using cli = await cliWithServer();
    const file = join(cli.root, "client.toml");
    const good = readFileSync(file, "utf8");
    writeFileSync(file, `${good}\nbroken = [\n`);
    const broken = await cli.run(["task", "ls"]);
    expectCode(broken, 255);
    expect(broken.stderr).toMatch(/^Error: Cannot read .*client\.toml: .*Fix it with `labtasker config`\.\n$/);
    const fixer = join(cli.dir, "fix.sh");
    writeFileSync(fixer, `#!/bin/sh\nsed -i '/^broken = \\[$/d' "$1"\n`);
    chmodSync(fixer, 0o755);
    const fixed = await cli.run(["config", "--editor", fixer]);
    expectCode(fixed, 0);
    expectCode(await cli.run(["task", "ls"]), 0);
  });
});

describe("help, version and errors", TIMEOUT, () => {
  test("no command prints help on stdout (exit 0); help names the precedence and the exit codes", async () => {
    await using cli = await cliWithServer();
    const bare = await cli.run([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain("Usage: labtasker [options] [command]");
    expect(bare.stdout).toContain("a flag wins over the environment, which wins over the config file, which wins over the default");
    expect(bare.stdout).toContain("Exit codes: 0 done");
    const group = await cli.run(["task"]);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain("Usage: labtasker task");
    const help = await cli.run(["help", "task"]);
    expect(help.stdout).toContain("Usage: labtasker task");
    const submitHelp = await cli.run(["task", "submit", "--help"]);
    expect(submitHelp.stdout).toContain("(default: 10)");
    const version = await cli.run(["--version"]);
    expect(version.stdout).toMatch(/^Labtasker Version: \d+\.\d+\.\d+/);
    const alias = await cli.sh("lt --version");
    expect(alias.stdout).toBe(version.stdout);
  });

  test("usage errors exit 2; missing configuration exits 255; errors are one line, never a stack trace", async () => {
    await using cli = await cliWithServer();
    const unknownCommand = await cli.run(["tasks"]);
    expect(unknownCommand.code).toBe(2);
    const unknownOption = await cli.run(["task", "ls", "--bogus"]);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option '--bogus'");
    const unconfigured = await cli.run(["task", "ls"], { env: { LABTASKER_ROOT: join(cli.dir, "none") } });
    expect(unconfigured.code).toBe(255);
    expect(unconfigured.stderr).toMatch(/^Error: Configuration not initialized \(no .*client\.toml\)\. Run `labtasker init`/);
    const auth = await cli.run(["--password", "nope", "task", "ls"]);
    expect(auth.code).toBe(1);
    expect(auth.stderr.trim().split("\n")).toHaveLength(1);
    const down = await cli.run(["--api-base-url", "http://127.0.0.1:9", "task", "submit", "--", "--x=1"]);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split("\n")).toHaveLength(1);
    for (const result of [unknownCommand, unknownOption, unconfigured, auth, down]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
