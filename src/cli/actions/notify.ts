/**
 * `queue notify add | ls | rm | test`: the queue's notification rules (an extension; docs/notifications.md). A server
 * delivers the messages: in direct mode rules are stored, and their messages go once a labtasker-server runs on the
 * same Redis, which each command says.
 */
import type { Command } from "commander";
import type { NotifyDelivery, NotifyFormat } from "../../core/notify.js";
import type { LabtaskerClient } from "../../sdk/client.js";
import { withApi } from "../common/connect.js";
import { UsageError } from "../common/errors.js";
import { formatter, type LsFormat } from "../common/output.js";
import { colorEnabled, note, palette } from "../common/terminal.js";
import { sleep } from "../../sleep.js";

/** Seconds in `--digest`: a number of seconds, or with a unit (`90s`, `5m`, `1h`). */
export function parseDigest(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(text);
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2]?.toLowerCase() ?? "s") as "s" | "m" | "h"] : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--digest must be a duration such as 60s, 5m or 1h (got ${text})`);
  return seconds;
}

const DIRECT_NOTE =
  "Direct mode: the rule is stored in Redis; its messages go when a labtasker-server runs on this Redis, " +
  "and only to hosts its --notify-allow-host allows (refused deliveries are listed by `notify ls --deliveries`).";

function directNote(api: LabtaskerClient): void {
  if (api.mode === "direct") note(DIRECT_NOTE);
}

interface AddOptions {
  on: string;
  url: string;
  format: NotifyFormat;
  digest?: string;
  quiet?: boolean;
}

export async function add(command: Command): Promise<void> {
  const options = command.opts<AddOptions>();
  const digestSeconds = options.digest === undefined ? null : parseDigest(options.digest);
  // The filter is compiled here first, so a typo fails before any request, with the caret under the column.
  const { conditionOf } = await import("../../notify/condition.js");
  conditionOf(options.on);
  await withApi(command, async (api) => {
    const rule = await api.createNotifyRule({ on: options.on, url: options.url, format: options.format, digestSeconds });
    process.stdout.write(options.quiet ? `${rule.ruleId}\n${rule.secret}\n` : `rule_id: ${rule.ruleId}\nsecret: ${rule.secret}\n`);
    if (!options.quiet) {
      note(
        "Keep the secret: it is shown this once. Each message carries X-Labtasker-Signature: sha256=<HMAC-SHA256 of " +
          "the body under the secret, hex> and X-Labtasker-Delivery: <id> (the same for every retry).",
      );
    }
    directNote(api);
  });
}

interface LsOptions {
  deliveries?: boolean;
  limit: number;
  fmt: LsFormat;
}

export async function ls(command: Command): Promise<void> {
  const options = command.opts<LsOptions>();
  const { notifyDeliveryToWire, notifyRuleToWire } = await import("../../wire/notify.js");
  await withApi(command, async (api) => {
    const records = options.deliveries
      ? (await api.lsNotifyDeliveries({ limit: options.limit })).map(notifyDeliveryToWire)
      : (await api.lsNotifyRules()).map(notifyRuleToWire);
    const format = formatter(options.fmt, palette(colorEnabled(process.stdout)));
    process.stdout.write(records.map((record) => format.item(record)).join("") + format.end());
    if (records.length === 0) note(options.deliveries ? "No delivery yet." : "No notification rule.");
    directNote(api);
  });
}

export async function remove(command: Command): Promise<void> {
  const ruleIds = command.args;
  if (ruleIds.length === 0) throw new UsageError("give the ids of the rules to remove (see `labtasker queue notify ls`)");
  await withApi(command, async (api) => {
    for (const ruleId of ruleIds) {
      await api.deleteNotifyRule(ruleId);
      note(`Rule ${ruleId} removed.`);
    }
  });
}

interface TestOptions {
  wait: number;
}

/** What a test delivery's outcome says, and whether the command fails with it. */
function outcomeLine(delivery: NotifyDelivery): { line: string; failed: boolean } {
  const status = delivery.httpStatus === null ? "" : ` (HTTP ${delivery.httpStatus})`;
  const detail = delivery.detail ? `: ${delivery.detail}` : "";
  return { line: `Test message ${delivery.deliveryId}: ${delivery.outcome}${status}${detail}`, failed: delivery.outcome !== "delivered" };
}

export async function test(command: Command): Promise<void> {
  const [ruleId] = command.processedArgs as [string];
  const { wait } = command.opts<TestOptions>();
  await withApi(command, async (api) => {
    const deliveryId = await api.testNotifyRule(ruleId);
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const attempt = (await api.lsNotifyDeliveries({ limit: 100 })).find((delivery) => delivery.deliveryId === deliveryId);
      if (attempt) {
        const { line, failed } = outcomeLine(attempt);
        process.stdout.write(`${deliveryId}\n`);
        note(line);
        if (failed) process.exitCode = 1;
        return;
      }
      if (Date.now() >= deadline) break;
      await sleep(200);
    }
    process.stdout.write(`${deliveryId}\n`);
    note(
      `Test message ${deliveryId} queued; no server has sent it within ${wait} s (messages go when a labtasker-server ` +
        "runs; see `labtasker queue notify ls --deliveries`).",
    );
  });
}

