/**
 * Values of Python number tokens: ints stay exact (bigint) whatever their base, floats follow Python's parsing
 * (underscores allowed between digits), and a `j` suffix marks a complex number, which JSON cannot hold.
 */
import type { PyConstant } from "./ast.js";

export function numberConstant(text: string): PyConstant {
  const digits = text.replace(/_/g, "");
  if (/[jJ]$/.test(digits)) return { type: "complex" };
  if (/^0[xXoObB]/.test(digits)) {
    // BigInt understands the 0x/0o/0b prefixes but only in lower case.
    return { type: "int", value: BigInt(`0${digits[1]?.toLowerCase()}${digits.slice(2)}`) };
  }
  if (/^[0-9]+$/.test(digits)) return { type: "int", value: BigInt(digits) };
  return { type: "float", value: Number(digits) };
}
