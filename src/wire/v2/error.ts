/** v2's error envelope: `{"error": {"code", "message", "details"}}`; v2's clients accept exactly these keys. */
import type { V2Error } from "../../core/v2/errors.js";

export interface V2ErrorWire {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export function errorToV2Wire(error: V2Error): V2ErrorWire {
  return { error: { code: error.code, message: error.message, details: error.details ?? {} } };
}
