/**
 * MongoDB's `$set` of dotted paths inside JSON objects, for labtasker's merge updates (contract 6.1, 3.4):
 * `$set {"args.foo.bar": 1}` creates missing objects on the way and refuses to go through a scalar.
 */
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from "../json.js";


/** Raised for a path Mongo would refuse; its message follows MongoDB's wording. */
export class PathConflictError extends Error {}

/** Sets `path` (already split on dots) under `root`, in place. */
export function setPath(root: JsonObject, path: readonly string[], value: JsonValue): void {
  let node: JsonObject | JsonValue[] = root;
  for (let i = 0; i < path.length - 1; i++) {
    const part = path[i]!;
    const next: JsonValue | undefined = readChild(node, part);
    if (next === undefined || next === null) {
      if (next === null) {
        throw new PathConflictError(`Cannot create field '${path[i + 1]}' in element {${part}: null}`);
      }
      const created: JsonObject = {};
      writeChild(node, part, created, path);
      node = created;
    } else if (isJsonObject(next) || Array.isArray(next)) {
      node = next;
    } else {
      throw new PathConflictError(`Cannot create field '${path[i + 1]}' in element {${part}: ${JSON.stringify(next)}}`);
    }
  }
  writeChild(node, path[path.length - 1]!, value, path);
}

function readChild(node: JsonObject | JsonValue[], part: string): JsonValue | undefined {
  if (Array.isArray(node)) return /^\d+$/.test(part) ? node[Number(part)] : undefined;
  return Object.hasOwn(node, part) ? node[part] : undefined;
}

function writeChild(node: JsonObject | JsonValue[], part: string, value: JsonValue, path: readonly string[]): void {
  if (Array.isArray(node)) {
    if (!/^\d+$/.test(part)) {
      throw new PathConflictError(`Cannot create field '${part}' in element of array at '${path.join(".")}'`);
    }
    const index = Number(part);
    while (node.length < index) node.push(null); // Mongo pads with nulls up to the index
    node[index] = value;
  } else {
    node[part] = value;
  }
}

/**
 * Applies `$set "<field>.<key>" = value` for each key of `patch` (keys may be dotted), on a copy of `target`.
 * Two keys where one is a prefix of the other conflict, as in MongoDB.
 */
export function mergePaths(target: JsonObject, patch: JsonObject, field: string): JsonObject {
  const keys = Object.keys(patch);
  for (const a of keys) {
    for (const b of keys) {
      if (a !== b && b.startsWith(`${a}.`)) {
        throw new PathConflictError(`Updating the path '${field}.${b}' would create a conflict at '${field}.${a}'`);
      }
    }
  }
  const copy = cloneJson(target);
  for (const [key, value] of Object.entries(patch)) setPath(copy, key.split("."), value);
  return copy;
}
