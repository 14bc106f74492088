/**
 * The CLI's pure parts, without a process: task arguments after `--` (contract 7.3, and where we differ from v1),
 * update assignments (6.2), YAML output against PyYAML's own text, the YAML reader of editor mode, and the record
 * formats of `ls`.
 */
import { describe, expect, test } from "vitest";
import { UsageError } from "../../src/cli/common/errors.js";
import { recordedCommandLine } from "../../src/cli/loop/action.js";
import { formatter, taskRecord } from "../../src/cli/common/output.js";
import { palette } from "../../src/cli/common/terminal.js";
import { parseDictOption, parseTaskArgs, parseUpdates, taskUpdate } from "../../src/cli/common/values.js";
import { YamlError, YamlTimestamp, dumpYaml, parseYaml } from "../../src/cli/common/yaml.js";
import { LosslessNumber, parseJson, stringifyJson } from "../../src/json.js";
import type { Task } from "../../src/core/model.js";

const json = (value: unknown) => stringifyJson(value);

describe("task submit -- arguments", () => {
  test("v1's forms: --k=v, --k v, literal typing, dashes to underscores, dotted keys nested, last one wins", () => {
    const args = parseTaskArgs([
      "--lr=0.1", "--epochs", "10", "--use-amp=True", "--tag", "None", "--layers=[1, 2]", "--name", "'hello world'",
      "--path=/some/path", "--model", "resnet", "--optim.lr", "1e-3", "--another-Arg=x", "--seed=1", "--seed=2", "--flag=true",
    ]);
    expect(json(args)).toBe(
      json({ lr: 0.1, epochs: 10, use_amp: true, tag: null, layers: [1, 2], name: "hello world", path: "/some/path", model: "resnet", optim: { lr: 0.001 }, another_Arg: "x", seed: 2, flag: "true" }),
    );
  });

  test("floats stay floats and big ints stay exact", () => {
    expect(json(parseTaskArgs(["--lr=3.0", "--n=12345678901234567890", "--e=1e5"]))).toBe('{"lr":3.0,"n":12345678901234567890,"e":100000.0}');
  });

  test("the seeds' special characters: negative numbers, empty and spaced strings", () => {
    expect(parseTaskArgs(["--value=-1", "--label=", "--desc=hello world"])).toEqual({ value: -1, label: "", desc: "hello world" });
  });

  test("a negative number after a key is its value (v1 drops the key, then fails)", () => {
    expect(parseTaskArgs(["--lr", "-0.1", "--n", "-1", "--x", "-1e-3", "-k", "-2"])).toEqual({ lr: -0.1, n: -1, x: -0.001, k: "-2" });
  });

  test("short options keep raw strings, as v1", () => {
    expect(parseTaskArgs(["-a", "10"])).toEqual({ a: "10" });
  });

  test("what v1 drops silently is an error naming the fix", () => {
    expect(() => parseTaskArgs(["--verbose"])).toThrow(/--verbose has no value: write --verbose=VALUE \(--verbose=True for a flag\)/);
    expect(() => parseTaskArgs(["--verbose", "--lr=1"])).toThrow(UsageError);
    expect(() => parseTaskArgs(["-v"])).toThrow(/-v has no value/);
    expect(() => parseTaskArgs(["-abc"])).toThrow(/grouped short flags/);
  });

  test("stray tokens and conflicting dotted keys are usage errors", () => {
    expect(() => parseTaskArgs(["positional"])).toThrow(/Unexpected token: positional/);
    expect(() => parseTaskArgs(["--a=1", "--a.b=2"])).toThrow(/conflicts with 'a'/);
    expect(() => parseTaskArgs(["--a.b=2", "--a=1"])).toThrow(/conflicts with a nested key/);
  });

  test("--args and --metadata take Python dict literals only", () => {
    expect(parseDictOption(`{'a': True, "b": [1, 2.0]}`, "--args")).toEqual({ a: true, b: [1, new LosslessNumber("2.0")] });
    expect(() => parseDictOption("[1, 2]", "--metadata")).toThrow(/--metadata must be a Python dict literal/);
    expect(() => parseDictOption('{"a": true}', "--metadata")).toThrow(/--metadata must be a Python dict literal.*column/);
  });
});

describe("task update assignments", () => {
  test("top-level keys replace, dotted keys merge, dashes become underscores, values are literals", () => {
    const parsed = parseUpdates(["args.lr=0.005", "metadata.tags=['v2']", "priority=100", "task-name=run_1", "args.arg-foo=x", "summary.a.b=1"], false);
    expect(parsed.replaceFields).toEqual(["priority", "task_name"]);
    expect(json(parsed.fields)).toBe(json({ args: { lr: 0.005, arg_foo: "x" }, metadata: { tags: ["v2"] }, priority: 100, task_name: "run_1", summary: { "a.b": 1 } }));
    expect(taskUpdate("t1", parsed.fields, parsed.replaceFields)).toEqual({
      taskId: "t1",
      replaceFields: ["priority", "task_name"],
      args: { lr: 0.005, arg_foo: "x" },
      metadata: { tags: ["v2"] },
      priority: 100,
      taskName: "run_1",
      summary: { "a.b": 1 },
    });
  });

  test("a whole dict replaces the field; a later dotted key goes into it (v1)", () => {
    const parsed = parseUpdates(['args={"a": 1}', "args.b=2"], false);
    expect(parsed.fields).toEqual({ args: { a: 1, b: 2 } });
    expect(parsed.replaceFields).toEqual(["args"]);
  });

  test("read-only fields are warned about and left out; with --reset-pending status and retries too", () => {
    expect(parseUpdates(["worker_id=x", "created_at=1", "status=pending"], false)).toMatchObject({
      fields: { status: "pending" },
      warnings: [expect.stringContaining("Field 'worker_id' is readonly"), expect.stringContaining("Field 'created_at' is readonly")],
    });
    expect(parseUpdates(["status=pending", "retries=0", "priority=1"], true)).toMatchObject({ fields: { priority: 1 }, warnings: [expect.anything(), expect.anything()] });
  });

  test("unknown fields and missing values are usage errors", () => {
    expect(() => parseUpdates(["lr=0.1"], false)).toThrow(/'lr' is not a task field/);
    expect(() => parseUpdates(["foo.bar=1"], false)).toThrow(/'foo' is not a task field/);
    expect(() => parseUpdates(["args.lr"], false)).toThrow(/write field=value/);
    expect(() => parseUpdates(["priority=1", "priority.x=2"], false)).toThrow(/not a dict/);
  });
});

describe("YAML as PyYAML writes it", () => {
  test("a task-like record matches PyYAML's yaml.dump([...], indent=2, sort_keys=False, allow_unicode=True)", () => {
    const record = parseJson(
      '{"task_id": "t1", "status": "pending", "created_at": "2025-07-01T12:00:00.908000", "start_time": null, "heartbeat_timeout": 60.0, "task_timeout": null, "priority": 10, ' +
        '"metadata": {"tags": ["v1", "exp"], "note": "baseline run"}, "args": {"lr": 0.001, "small": 1e-05, "big": 1e16, "f": 3.0, "model": "resnet", "flag": "true", ' +
        '"yes": "yes", "num": "0.1", "neg": -1, "nested": {"deep": {"k": [1, {"a": "b"}, []]}}, "empty": "", "colon": "a: b", "hash": "x #y", "dash": "- x", ' +
        '"quote": "it\'s", "uni": "héllo", "ts": "2025-01-01"}, "cmd": "", "summary": {}, "list_of_lists": [[1, 2], [3]]}',
    ) as Record<string, unknown>;
    record.created_at = new YamlTimestamp("2025-07-01 12:00:00.908000");
    // Captured from PyYAML 6 (labtasker 1.0.1's dependency) for the same value.
    expect(dumpYaml([record])).toBe(`- task_id: t1
  status: pending
  created_at: 2025-07-01 12:00:00.908000
  start_time: null
  heartbeat_timeout: 60.0
  task_timeout: null
  priority: 10
  metadata:
    tags:
    - v1
    - exp
    note: baseline run
  args:
    lr: 0.001
    small: 1.0e-05
    big: 1.0e+16
    f: 3.0
    model: resnet
    flag: 'true'
    'yes': 'yes'
    num: '0.1'
    neg: -1
    nested:
      deep:
        k:
        - 1
        - a: b
        - []
    empty: ''
    colon: 'a: b'
    hash: 'x #y'
    dash: '- x'
    quote: it's
    uni: héllo
    ts: '2025-01-01'
  cmd: ''
  summary: {}
  list_of_lists:
  - - 1
    - 2
  - - 3
`);
  });

  test("end-of-line comments go at column 50, as v1's editor view", () => {
    const text = dumpYaml([{ task_id: "t1", args: { a: 1 } }], { comment: (path) => (path[1] === "task_id" ? "Read-only. DO NOT modify!" : undefined) });
    expect(text.split("\n")[0]).toBe(`- task_id: t1${" ".repeat(50 - 13)}# Read-only. DO NOT modify!`);
  });

  test("the reader takes the writer's output back, value for value", () => {
    const value = parseJson('[{"a": "true", "b": 3.0, "c": [1, [2, {"d": null}]], "e": {"f": {}}, "g": "it\'s", "h": "line1\\nline2", "i": -0.5, "j": "x: y"}]');
    expect(json(parseYaml(dumpYaml(value)))).toBe(json(value));
  });

  test("the reader takes what people type: flow collections, comments, quotes, YAML 1.1 scalars", () => {
    const text = `# edited
- task_id: t1   # Read-only
  args: {lr: 0.01, tags: [a, "b c"], on: yes}
  metadata:
    note: 'it''s'
    hex: 0x1F
    octal: 017
    nothing: ~
    when: 2025-01-01 10:00:00
  cmd: "echo \\"hi\\""
  list:
  - x
  -   - nested
`;
    expect(parseYaml(text)).toEqual([
      {
        task_id: "t1",
        args: { lr: 0.01, tags: ["a", "b c"], on: true },
        metadata: { note: "it's", hex: 31, octal: 15, nothing: null, when: "2025-01-01 10:00:00" },
        cmd: 'echo "hi"',
        list: ["x", ["nested"]],
      },
    ]);
  });

  test("the reader says what it cannot take, with the line", () => {
    expect(() => parseYaml("a: 1\n\tb: 2")).toThrow(YamlError);
    // Block scalars are read, as v1 (ruamel) reads them; the hand-written reader before the yaml package refused them.
    expect(parseYaml("a: |\n  two\n  lines\nb: >\n  folded\n  text\n")).toEqual({ a: "two\nlines\n", b: "folded text\n" });
    expect(() => parseYaml("a: [1, 2")).toThrow(/missing '\]'/);
    expect(() => parseYaml("a: 1\n   b: 2")).toThrow(/unexpected indentation \(line 2\)/);
  });
});

describe("ls formats", () => {
  const task: Task = {
    taskId: "t1",
    queueId: "q1",
    status: "pending",
    taskName: null,
    createdAt: new Date("2025-07-01T12:00:00.908Z"),
    startTime: null,
    lastHeartbeat: null,
    lastModified: new Date("2025-07-01T12:00:00Z"),
    heartbeatTimeout: 60,
    taskTimeout: null,
    maxRetries: 3,
    retries: 0,
    priority: 10,
    metadata: {},
    args: parseJson('{"lr": 3.0}') as Task["args"],
    cmd: "",
    summary: {},
    workerId: null,
  };

  test("jsonl: one compact object per line, v1's keys and order, floats kept", () => {
    const line = formatter("jsonl", palette(false)).item(taskRecord(task));
    expect(line).toBe(
      '{"task_id":"t1","queue_id":"q1","status":"pending","task_name":null,"created_at":"2025-07-01T12:00:00.908000","start_time":null,' +
        '"last_heartbeat":null,"last_modified":"2025-07-01T12:00:00","heartbeat_timeout":60.0,"task_timeout":null,"max_retries":3,"retries":0,' +
        '"priority":10,"metadata":{},"args":{"lr":3.0},"cmd":"","summary":{},"worker_id":null}\n',
    );
  });

  test("json: one array; yaml: one single-item list per record with a blank line, datetimes unquoted", () => {
    const json = formatter("json", palette(false));
    const text = json.item(taskRecord(task)) + json.item(taskRecord(task)) + json.end();
    expect((JSON.parse(text) as unknown[]).length).toBe(2);
    expect(formatter("json", palette(false)).end()).toBe("[]\n");
    const yaml = formatter("yaml", palette(false)).item(taskRecord(task));
    expect(yaml.startsWith("- task_id: t1\n  queue_id: q1\n")).toBe(true);
    expect(yaml).toContain("  created_at: 2025-07-01 12:00:00.908000\n  start_time: null\n");
    expect(yaml).toContain("  last_modified: 2025-07-01 12:00:00\n  heartbeat_timeout: 60.0\n");
    expect(yaml.endsWith("  worker_id: null\n\n")).toBe(true);
  });

  test("colours only when asked: no escape codes without a palette", () => {
    expect(formatter("yaml", palette(false)).item(taskRecord(task))).not.toContain("\u001b[");
    expect(formatter("jsonl", palette(true)).item(taskRecord(task))).toContain("\u001b[");
  });
});

// Found by the fault suite (test/faults/security.test.ts): the queue password given as a flag was stored in every
// task the loop fetched (v1 records the command line in `cmd`), and so in events, the AOF and run directories.
describe("the loop's command line as recorded on tasks", () => {
  test("masks the password and URL credentials of global flags, keeps the command after --", () => {
    expect(recordedCommandLine(["/bin/labtasker", "--queue-name", "q", "--password", "s3cret", "--redis-url", "redis://:pw@h:6379/0", "loop", "--", "train", "--password", "x"])).toEqual(
      ["/bin/labtasker", "--queue-name", "q", "--password", "***", "--redis-url", "redis://:***@h:6379/0", "loop", "--", "train", "--password", "x"],
    );
    expect(recordedCommandLine(["lt", "--password=s3cret", "--api-base-url=http://u:p@host:9321", "loop", "-c", "echo %(a)"])).toEqual(
      ["lt", "--password=***", "--api-base-url=http://u:***@host:9321", "loop", "-c", "echo %(a)"],
    );
    expect(recordedCommandLine(["lt", "--api-base-url", "http://host:9321", "loop", "--", "x"])).toEqual(["lt", "--api-base-url", "http://host:9321", "loop", "--", "x"]);
  });
});

