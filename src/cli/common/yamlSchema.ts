/**
 * What a plain (unquoted) YAML scalar means under PyYAML's YAML 1.1 implicit resolvers, which labtasker v1 reads and
 * writes with. The emitter (./yamlEmit.ts) quotes a string exactly when it would read back as another type; the
 * reader (./yamlRead.ts) types plain scalars with the same rules, keeping numbers as Python would type them.
 */
import { LosslessNumber, pythonFloat, type JsonValue } from "../../json.js";

/** PyYAML's implicit resolvers (YAML 1.1): a plain scalar matching one of these is not a string. */
const RESOLVERS = {
  bool: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  float:
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  int: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  null: /^(?:~|null|Null|NULL|)$/,
  timestamp:
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  special: /^(?:<<|=)$/,
};

/** Whether a plain scalar with this text would read back as something other than a string. */
export function resolvesToOtherType(text: string): boolean {
  return Object.values(RESOLVERS).some((pattern) => pattern.test(text));
}

/** A plain scalar's value that JSON cannot hold (`.inf`, `.nan`). */
export class UnrepresentableScalarError extends Error {}

/**
 * The value of a plain scalar: null, booleans, integers (beyond 2^53 as a LosslessNumber, so they stay exact) and
 * floats (an integral float stays a float: `3.0` reads as 3.0, not 3), as PyYAML types them; anything else, timestamps
 * included, is the string itself. Throws {@link UnrepresentableScalarError} for infinities and NaN.
 */
export function resolvePlain(text: string): JsonValue {
  if (RESOLVERS.null.test(text)) return null;
  if (RESOLVERS.bool.test(text)) return /^(?:yes|true|on)$/i.test(text);
  if (RESOLVERS.int.test(text)) return resolveInt(text);
  if (RESOLVERS.float.test(text)) {
    if (/inf|nan/i.test(text)) throw new UnrepresentableScalarError(`${text} cannot be stored (JSON has no infinity or NaN)`);
    const clean = text.replaceAll("_", "");
    if (clean.includes(":")) return pythonFloat(sexagesimal(clean));
    return pythonFloat(Number(clean));
  }
  return text;
}

function sexagesimal(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  return sign * text.replace(/^[-+]/, "").split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

function resolveInt(text: string): JsonValue {
  const clean = text.replaceAll("_", "");
  const negative = clean.startsWith("-");
  const body = clean.replace(/^[-+]/, "");
  let value: bigint;
  if (body.includes(":")) return sexagesimal(clean);
  if (body.startsWith("0b")) value = BigInt(body);
  else if (body.startsWith("0x")) value = BigInt(body);
  else if (body.length > 1 && body.startsWith("0")) value = BigInt(`0o${body.slice(1)}`);
  else value = BigInt(body);
  if (negative) value = -value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : new LosslessNumber(value.toString());
}
