/**
 * v2's query parameters as FastAPI reads them (lax parsing of text: `limit=01`, `limit=1.0` and `descending=TRUE` are
 * accepted), each error listed at `["query", name]` in the order the route declares its parameters. A repeated
 * parameter counts once, its last value (Starlette's reading), except `group_by`, which v2 refuses twice.
 */
import type { Request } from "express";
import { V2Error } from "../../../core/v2/errors.js";
import { literalMessage, type V2Issue } from "./schema.js";

const TRUE = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE = new Set(["0", "off", "f", "false", "n", "no"]);

export function validationFailed(code: "invalid_request" | "invalid_task" | "invalid_update" | "invalid_filter", issues: V2Issue[]): V2Error {
  return new V2Error(code, "Request validation failed.", { errors: issues.map((issue) => ({ location: issue.location, message: issue.message })) });
}

/** One `invalid_request` error about one query parameter (the form of v2's own checks of them). */
export function queryError(name: string, message: string): V2Error {
  return validationFailed("invalid_request", [{ location: ["query", name], message }]);
}

export class QueryReader {
  private readonly issues: V2Issue[] = [];

  constructor(private readonly req: Request) {}

  /** All the values given for a parameter (the simple query parser gives an array when repeated). */
  values(name: string): string[] {
    const value = this.req.query[name];
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).map(String);
  }

  text(name: string): string | null {
    return this.values(name).at(-1) ?? null;
  }

  bool(name: string, fallback: boolean): boolean {
    const text = this.text(name);
    if (text === null) return fallback;
    const normal = text.trim().toLowerCase();
    if (TRUE.has(normal)) return true;
    if (FALSE.has(normal)) return false;
    this.fail(name, "Input should be a valid boolean, unable to interpret input");
    return fallback;
  }

  /** pydantic's lax integer from text: digits, optionally with a zero fraction (`1.0`); nothing else. */
  int(name: string, min: number, max: number): number | null {
    const text = this.text(name);
    if (text === null) return null;
    const trimmed = text.trim();
    if (!/^[+-]?\d+(\.\d*)?$/.test(trimmed)) {
      this.fail(name, "Input should be a valid integer, unable to parse string as an integer");
      return null;
    }
    const value = Number(trimmed);
    if (!Number.isInteger(value)) this.fail(name, "Input should be a valid integer, got a number with a fractional part");
    else if (value < min) this.fail(name, `Input should be greater than or equal to ${min}`);
    else if (value > max) this.fail(name, `Input should be less than or equal to ${max}`);
    else return value;
    return null;
  }

  literal<T extends string>(name: string, values: readonly T[]): T | null {
    const text = this.text(name);
    if (text === null) return null;
    if ((values as readonly string[]).includes(text)) return text as T;
    this.fail(name, literalMessage(values));
    return null;
  }

  private fail(name: string, message: string): void {
    this.issues.push({ location: ["query", name], message });
  }

  /** Throws v2's 422 listing every problem found so far. */
  done(): void {
    if (this.issues.length > 0) throw validationFailed("invalid_request", this.issues);
  }
}
