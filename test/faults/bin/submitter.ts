/**
 * A submitter as a process (an SDK program over HTTP): submits `count` tasks, `batch` per request, one request every
 * `interval` ms, and appends every id the server acknowledged to the acks file (`<id> <key> <ms>`). Before each request it appends the
 * keys it is about to submit to `<acks file>.tried`, so a task the server stored without the answer arriving can be
 * told from one submitted twice.
 *
 *   tsx submitter.ts <url> <queue> <password> <acks file> <name> <count> <batch> <interval ms>
 */
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { HttpLabtasker } from "../../../src/client/labtasker.js";

const [url, queueName, password, acks, name, count, batch, interval] = process.argv.slice(2) as [string, string, string, string, string, string, string, string];
const client = new HttpLabtasker({ baseUrl: url, queueName, password });
let errors = 0;
for (let start = 0; start < Number(count); start += Number(batch)) {
  const keys = Array.from({ length: Math.min(Number(batch), Number(count) - start) }, (_, i) => `${name}-${start + i}`);
  appendFileSync(`${acks}.tried`, keys.map((key) => `${key}\n`).join(""));
  try {
    const ids = keys.length === 1
      ? [await client.submitTask({ taskName: keys[0], args: { key: keys[0]! } })]
      : await client.submitTasks(keys.map((key) => ({ taskName: key, args: { key } })));
    const at = Date.now();
    appendFileSync(acks, ids.map((id, i) => `${id} ${keys[i]} ${at}\n`).join(""));
  } catch (error) {
    // Not acknowledged: it may or may not be stored. Submitting again could store it twice, so it is not retried;
    // the scenario counts it as "maybe submitted".
    errors += 1;
    console.error(`[submitter ${name}] submit of ${keys[0]}.. failed: ${(error as Error).message}`);
  }
  await sleep(Number(interval));
}
console.error(`[submitter ${name}] done, ${errors} failed requests`);
