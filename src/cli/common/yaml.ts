/**
 * YAML in the CLI: the writer of v1's output (./yamlEmit.ts, a port of PyYAML's emitter) and the reader of what
 * `task update`'s editor gives back (./yamlRead.ts, on the `yaml` package), with PyYAML's YAML 1.1 scalar rules shared
 * by both (./yamlSchema.ts). Import the module you need: this one loads the `yaml` package (about 15 ms), which only
 * the reader uses.
 */
export { dumpYaml, yamlFloat, YamlTimestamp, type DumpOptions } from "./yamlEmit.js";
export { parseYaml, YamlError } from "./yamlRead.js";
