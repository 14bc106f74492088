/**
 * labtasker's "no more, no less" rule for a fetch's required fields (contract 4, steps 2, 5 and 8), turned into
 * what the fetch scripts need: the leaf paths that must exist, the exact key tree, and the pending index to read.
 */
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { BadRequestError } from "../core/errors.js";
import { DOTTED_KEY_PATTERN, pythonStrListRepr } from "../core/validation.js";
import type { JsonObject } from "../json.js";
import { isJsonObject } from "../json.js";

/** A key tree whose leaves are `true`. */
export type KeyTree = { [key: string]: KeyTree | true };

export interface RequiredFieldsRule {
  /** JSON for lua/includes/required.lua, or null when any pending task matches. */
  specJson: string | null;
  /**
   * The spec a fetch must still check on the candidates of its index: null when the signature index alone decides
   * (every required field is a top-level key and no `"*"`), which spares decoding each candidate's args.
   */
  indexSpecJson: string | null;
  /** The signature index holding every possible match, or null to read all pending tasks. */
  signature: string | null;
  /** Leaf paths that must exist ("no less"). */
  paths: string[][];
  /** The exact key tree ("no more"), or null when extra keys are allowed or nothing is required. */
  exact: KeyTree | null;
}

/**
 * Signatures of recent key sets: a sweep submits thousands of tasks with the same keys. A signature never goes
 * stale (it is a hash of the keys), so no ttl; 1,000 key sets of a few hundred bytes each is well under a megabyte,
 * and least-recently-used eviction keeps the busy ones when a client submits many shapes.
 */
const signatures = new LRUCache<string, string>({ max: 1000 });

/** The signature of a set of top-level arg keys: tasks with the same keys share one pending index. */
export function argsSignature(topLevelKeys: Iterable<string>): string {
  const joined = [...new Set(topLevelKeys)].sort().join("\n");
  let signature = signatures.get(joined);
  if (signature === undefined) {
    signature = createHash("sha1").update(joined).digest("hex").slice(0, 16);
    signatures.set(joined, signature);
  }
  return signature;
}

/**
 * Builds the rule for a fetch. `"*"` allows keys beyond the required ones (one `"*"` is removed, as v1 does);
 * no required fields means no constraint. Invalid keys give v1's 400 "Invalid required fields. Detail: ...".
 */
export function requiredFieldsRule(requiredFields: readonly string[] | null | undefined): RequiredFieldsRule {
  const fields = [...(requiredFields ?? [])];
  const star = fields.indexOf("*");
  const allowExtraKeys = star >= 0;
  if (allowExtraKeys) fields.splice(star, 1);
  if (!fields.includes("*") && !fields.every((key) => DOTTED_KEY_PATTERN.test(key))) {
    throw new BadRequestError(
      "Invalid required fields. Detail: Keys must be valid dot-separated strings or a single '*' for matching " +
        `everything. Got ${pythonStrListRepr(fields)}.`,
    );
  }
  const keys = [...new Set(fields)];
  if (keys.length === 0) return { specJson: null, indexSpecJson: null, signature: null, paths: [], exact: null };

  const split = keys.map((key) => key.split("."));
  const isPrefix = (a: string[], b: string[]) => a.length < b.length && a.every((part, i) => part === b[i]);
  // "deepest": a key that is a prefix of a longer one is extended by it, so only the longest paths are leaves.
  const paths = split.filter((path) => !split.some((other) => isPrefix(path, other)));
  const exact = allowExtraKeys ? null : topmostTree(split.filter((path) => !split.some((other) => isPrefix(other, path))));
  const spec: { paths: string[][]; exact?: KeyTree } = { paths };
  if (exact) spec.exact = exact;
  const specJson = JSON.stringify(spec);
  const flat = exact !== null && split.every((path) => path.length === 1);
  return {
    specJson,
    indexSpecJson: flat ? null : specJson,
    signature: exact ? argsSignature(Object.keys(exact)) : null,
    paths,
    exact,
  };
}

function topmostTree(paths: string[][]): KeyTree {
  const tree: KeyTree = {};
  for (const path of paths) {
    let node = tree;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = true;
      else node = (node[part] = (node[part] as KeyTree | undefined) ?? {}) as KeyTree;
    });
  }
  return tree;
}

/** The same test as lua/includes/required.lua, for fetches whose candidates the broker filters in Node. */
export function argsSatisfy(rule: RequiredFieldsRule, args: JsonObject): boolean {
  if (!rule.paths.every((path) => pathExists(args, path, 0))) return false;
  return rule.exact === null || argMatch(rule.exact, args);
}

function pathExists(value: unknown, path: string[], depth: number): boolean {
  if (depth === path.length) return true;
  if (value === null || typeof value !== "object") return false;
  const segment = path[depth]!;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(segment)) {
      const element: unknown = value[Number(segment)];
      if (element !== undefined && pathExists(element, path, depth + 1)) return true;
    }
    return value.some((element) => isJsonObject(element) && pathExists(element, path, depth));
  }
  const record = value as Record<string, unknown>;
  return Object.hasOwn(record, segment) && pathExists(record[segment], path, depth + 1);
}

function argMatch(required: KeyTree | true, provided: unknown): boolean {
  if (required === true) return true;
  if (!isJsonObject(provided)) return false;
  const keys = Object.keys(provided);
  if (keys.length !== Object.keys(required).length) return false;
  return keys.every((key) => Object.hasOwn(required, key) && argMatch(required[key]!, provided[key]));
}
