export { HttpLabtasker, type HttpLabtaskerOptions } from "./labtasker.js";
