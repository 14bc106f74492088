/** Prints results as one aligned text table (and as Markdown for docs). */
import type { BenchResult } from "./types.js";

const HEADER = ["benchmark", "value", "unit", "anchor", "anchor value", "ratio", "goal", "pass"] as const;

/** A number with about 3 significant digits, thousands grouped: 12,345 / 123 / 1.23 / 0.0123. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "";
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString("en-US");
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  if (magnitude === 0) return "0";
  return value.toPrecision(3);
}

function cells(result: BenchResult): string[] {
  return [
    result.name,
    formatNumber(result.value),
    result.unit,
    result.anchor ?? "",
    formatNumber(result.anchorValue),
    result.ratio === undefined ? "" : `${result.ratio.toFixed(2)}x`,
    result.goal ?? "",
    result.pass === undefined ? "" : result.pass ? "PASS" : "FAIL",
  ];
}

/** The table as aligned plain text; numeric columns are right-aligned. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = [[...HEADER], ...results.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const numeric = new Set([1, 4, 5]);
  const line = (row: string[]) =>
    row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}

/** The table as GitHub Markdown. */
export function formatMarkdown(results: readonly BenchResult[]): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  const lines = [`| ${HEADER.join(" | ")} |`, `| ${HEADER.map((_, i) => ([1, 4, 5].includes(i) ? "---:" : "---")).join(" | ")} |`];
  for (const result of results) lines.push(`| ${cells(result).map(escape).join(" | ")} |`);
  return lines.join("\n");
}
