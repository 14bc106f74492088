/**
 * The values a dotted path reaches in a document, as MongoDB's matcher walks it (`BSONElementIterator`):
 * - objects are entered field by field; a missing field, or a scalar where an object is needed, yields "missing"
 *   (`undefined`), which `{f: null}` and `$exists: false` match;
 * - an array met before the end of the path is traversed: each object element continues the path (yielding
 *   "missing" when it lacks the field); a numeric part also selects the element at that index; other elements
 *   are skipped;
 * - an array at the end of the path yields each element and then the array itself ("leaf expansion"), except
 *   for `$size` and `$elemMatch`, which look at the array as a whole.
 * The aggregation path of `$expr` (`"$a.b"`) is different and lives in {@link aggregationPath}.
 */
import { isPlainObject } from "../values.js";

export type Visit = (value: unknown) => boolean;

/** Field names that plain objects inherit; reading them must check that the document really has them. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A document's own field, or undefined (missing). */
export function ownField(object: Record<string, unknown>, key: string): unknown {
  const value = object[key];
  if (value === undefined || (INHERITED.has(key) && !Object.prototype.hasOwnProperty.call(object, key))) return undefined;
  return value;
}

/** Whether `key` is inherited by plain objects (so a compiled accessor must check ownership). */
export function isInheritedName(key: string): boolean {
  return INHERITED.has(key);
}

/** True when `visit` returns true for some value the path reaches from `object`, starting at `parts[index]`. */
export function anyFromObject(object: Record<string, unknown>, parts: readonly string[], index: number, expandLeaf: boolean, visit: Visit): boolean {
  let current: unknown = object;
  let i = index;
  while (i < parts.length) {
    if (!isPlainObject(current)) return visit(undefined);
    current = ownField(current, parts[i] as string);
    i++;
    if (Array.isArray(current)) {
      return i === parts.length ? anyInLeafArray(current, expandLeaf, visit) : anyInArray(current, parts, i, expandLeaf, visit);
    }
  }
  return visit(current);
}

/** A leaf array: its elements then itself, or only itself for the whole-array operators. */
export function anyInLeafArray(array: unknown[], expandLeaf: boolean, visit: Visit): boolean {
  if (expandLeaf) {
    for (const element of array) if (visit(element)) return true;
  }
  return visit(array);
}

/** An array met with `parts[index..]` still to walk (see the module comment). */
export function anyInArray(array: unknown[], parts: readonly string[], index: number, expandLeaf: boolean, visit: Visit): boolean {
  const next = parts[index] as string;
  const offset = /^[0-9]+$/.test(next) ? next : undefined;
  const last = index + 1 === parts.length;
  for (let k = 0; k < array.length; k++) {
    const element = array[k];
    const atOffset = offset !== undefined && String(k) === offset;
    if (isPlainObject(element)) {
      if (anyFromObject(element, parts, index, expandLeaf, visit)) return true;
      if (atOffset && (last ? visit(element) : anyFromObject(element, parts, index + 1, expandLeaf, visit))) return true;
    } else if (atOffset) {
      if (last) {
        if (visit(element)) return true;
      } else if (Array.isArray(element) && anyInArray(element, parts, index + 1, expandLeaf, visit)) {
        return true;
      }
    }
  }
  return false;
}

/** All values the path reaches (for sort keys), in document order; `undefined` for missing. */
export function collectValues(object: Record<string, unknown>, parts: readonly string[], expandLeaf: boolean): unknown[] {
  const out: unknown[] = [];
  anyFromObject(object, parts, 0, expandLeaf, (value) => {
    out.push(value);
    return false;
  });
  return out;
}

/**
 * `"$a.b.c"` in an aggregation expression: objects are entered; an array maps the rest of the path over its
 * object elements (dropping elements where it is missing, keeping nesting), so `"$a.b"` on `{a: [{b: 1}, {b: 2}]}`
 * is `[1, 2]`; numeric parts are field names, never indexes. `[]` is the document itself.
 */
export function aggregationPath(root: Record<string, unknown>, parts: readonly string[]): unknown {
  return parts.length === 0 ? root : aggregationStep(root, parts, 0);
}

function aggregationStep(object: Record<string, unknown>, parts: readonly string[], index: number): unknown {
  const value = ownField(object, parts[index] as string);
  if (index === parts.length - 1) return value;
  if (isPlainObject(value)) return aggregationStep(value, parts, index + 1);
  if (Array.isArray(value)) return aggregationArray(value, parts, index + 1);
  return undefined;
}

function aggregationArray(array: unknown[], parts: readonly string[], index: number): unknown[] {
  const out: unknown[] = [];
  for (const element of array) {
    if (!isPlainObject(element)) continue;
    const value = aggregationStep(element, parts, index);
    if (value !== undefined) out.push(value);
  }
  return out;
}
