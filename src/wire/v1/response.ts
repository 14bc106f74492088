/** The envelope of v1's response models. */
import type { JsonObject } from "../../json.js";

/** A response model body: `notification` first, as pydantic orders the base model's field. */
export function responseModel(fields: JsonObject): JsonObject {
  return { notification: null, ...fields };
}
