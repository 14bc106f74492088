/**
 * Who a submitted task is, for idempotent submits (docs/tasks.md, "Idempotent submit"): its dedup identity, over
 * `task_name` and `args` alone (metadata is excluded: it annotates a task, it does not define its work), and, for a
 * client-chosen id, the fingerprint of its whole definition. Both are base64url of the first 16 bytes of the SHA-256
 * of a canonical encoding: type-tagged and key-sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are one task while `1`
 * and `1.0` (or `"1"`) are not; numbers keep the exact text they came with (src/json.ts), as v1 stores them.
 */
import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import { isLosslessNumber, type JsonObject, type JsonValue } from "../json.js";

/**
 * The canonical encoding of a JSON value: each value tagged with its type (`z` null, `t`/`f` booleans, `n` + the
 * number's text, `s` + the JSON string, `a[...]` arrays, `o{...}` objects with keys in code-unit order). Unambiguous:
 * no two values encode alike.
 */
export function canonicalEncoding(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "z";
  switch (typeof value) {
    case "boolean":
      return value ? "t" : "f";
    case "number":
      return "n" + value;
    case "string":
      return "s" + quoted(value);
  }
  if (isLosslessNumber(value)) return "n" + value.toString();
  // Concatenation, not map/join: a dedup submit encodes every task, and this is most of its cost in Node.
  if (Array.isArray(value)) {
    let text = "a[";
    for (let i = 0; i < value.length; i++) text += (i === 0 ? "" : ",") + canonicalEncoding(value[i]);
    return text + "]";
  }
  const keys = sortedKeys(value);
  let text = "o{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = value[key];
    const codes = keyCodes(key);
    // The usual values, numbers and strings, are appended with their tag in the key's code (no string more for them).
    if (typeof item === "number") text += (i === 0 ? codes.firstNumber : codes.number) + item;
    else if (typeof item === "string") text += (i === 0 ? codes.firstString : codes.string) + quoted(item);
    else text += (i === 0 ? codes.first : codes.key) + canonicalEncoding(item);
  }
  return text + "}";
}

/** A key's encoding in an object's: `,"key":` (`"key":` first), and the same with the tag of a number or a string. */
interface KeyCodes {
  key: string;
  first: string;
  number: string;
  firstNumber: string;
  string: string;
  firstString: string;
}

/**
 * The codes of the keys seen most (a sweep's tasks share theirs), so that a dedup submit, which encodes every task,
 * builds fewer strings a key: 30% less to allocate and 20% less time than quoting each key each time.
 */
const keyCodesByKey = new Map<string, KeyCodes>();
const KEY_CODES_MAX = 1000;
/** Only a short key is kept: a sweep's keys are names, and a long one would stay in memory for good. */
const KEY_CODES_LENGTH_MAX = 64;

function keyCodes(key: string): KeyCodes {
  let codes = keyCodesByKey.get(key);
  if (codes === undefined) {
    const first = quoted(key) + ":";
    codes = { key: "," + first, first, number: "," + first + "n", firstNumber: first + "n", string: "," + first + "s", firstString: first + "s" };
    if (keyCodesByKey.size < KEY_CODES_MAX && key.length <= KEY_CODES_LENGTH_MAX) keyCodesByKey.set(key, codes);
  }
  return codes;
}

/** Keys up to which {@link sortedKeys} sorts by insertion (quadratic, so not for an object of thousands). */
const INSERTION_SORT_MAX = 16;

/**
 * An object's keys in UTF-16 code-unit order (what sort() without a comparator gives, and what `<` compares). A
 * task's objects have a handful of keys, which sort() took 0.1 µs an object more to order than an insertion sort.
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/** Printable ASCII other than `"` and `\`: a JSON string of these is the text in quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as JSON writes it (what JSON.stringify gives, without calling it for the usual plain key or value). */
function quoted(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** Node's one-shot hash (20.12+): with a text output, a fraction of the time of a Hash object and a Buffer. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "base64url") => string }).hash;
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Base64url of the first 16 bytes of the text's SHA-256. */
function digest(text: string): string {
  if (oneShot === undefined) return createHash("sha256").update(text, "utf8").digest().subarray(0, 16).toString("base64url");
  // The whole digest's first 21 characters are the first 126 bits; the 22nd of 16 bytes holds their last 2 bits.
  const full = oneShot("sha256", text, "base64url");
  return full.slice(0, 21) + BASE64URL[BASE64URL.indexOf(full[21]!) & 0x30]!;
}

/** The dedup identity of a task: its name and its args (unflattened: `{"a.b": 1}` is `{"a": {"b": 1}}`). */
export function taskIdentity(taskName: string | null, args: JsonObject): string {
  // canonicalEncoding({ task_name: taskName, args }), spelled out: the two keys' order and encoding are fixed.
  return digest(`o{"args":${canonicalEncoding(args)},"task_name":${canonicalEncoding(taskName)}}`);
}

/**
 * The fingerprint of a task's definition under a client-chosen id, stored in the task's `creation` field (where
 * labtasker v2's create-by-id keeps its own): "v1:" marks a v1 submit's, which v2's never equals, and which tells the
 * task's rules apart (lua/includes/tasks.lua cancelsWithDependency).
 */
export function definitionFingerprint(definition: JsonObject): string {
  return `v1:${digest(canonicalEncoding(definition))}`;
}
