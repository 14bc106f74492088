/**
 * labtasker v1's timed choice (`TimedListPrompt`): a question, a list of choices, a countdown; the default is taken
 * when time runs out, Ctrl+C picks the choice marked for it, arrows (or j/k) and Enter pick any, and so does a
 * choice's number. It runs only when stdin and stderr are terminals; anywhere else the default is taken at once, as
 * v1 does when it cannot show the prompt (a loop in the background, under nohup or in CI never waits).
 */

export interface Choice<T> {
  label: string;
  value: T;
}

export interface ChoiceRequest<T> {
  question: string;
  choices: Array<Choice<T>>;
  /** Taken when the countdown ends (and when there is no terminal). */
  defaultIndex: number;
  /** Taken on Ctrl+C. */
  interruptIndex: number;
  /** @defaultValue 10 (v1's) */
  timeoutSeconds?: number;
  /** Aborting it takes the default at once (the loop was told to stop meanwhile). */
  signal?: AbortSignal;
}

/** Asks and resolves with the chosen value. */
export type Prompter = <T>(request: ChoiceRequest<T>) => Promise<T>;

/** Always the default, without asking: what v1 does without a terminal. */
export const defaultChoice: Prompter = async (request) => request.choices[request.defaultIndex]!.value;

/** The streams a terminal prompt needs (process.stdin and process.stderr, or fakes in tests). */
export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Whether the terminal prompt can run on these streams. */
export function canPrompt(streams: PromptStreams = { input: process.stdin, output: process.stderr }): boolean {
  return streams.input.isTTY === true && streams.output.isTTY === true && typeof streams.input.setRawMode === "function";
}

const ESC = "\u001b";
const UP = new Set([`${ESC}[A`, `${ESC}OA`, "k"]);
const DOWN = new Set([`${ESC}[B`, `${ESC}OB`, "j"]);
const ENTER = new Set(["\r", "\n"]);
const CTRL_C = "\u0003";
/** One key in raw input: an arrow's escape sequence (CSI or SS3 form), or one character. */
const KEYS = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z~]|${ESC}O[A-Za-z]|[\\s\\S]`, "gu");

/** A prompter on a terminal; see the module comment. */
export function terminalPrompter(streams: PromptStreams = { input: process.stdin, output: process.stderr }): Prompter {
  return <T>(request: ChoiceRequest<T>) =>
    new Promise<T>((resolve) => {
      const { input, output } = streams;
      const { choices } = request;
      let selected = request.defaultIndex;
      let remaining = request.timeoutSeconds ?? 10;
      let drawn = 0;
      const width = Math.max(20, (output.columns ?? 80) - 1);
      const fit = (text: string) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

      const draw = () => {
        // Back to the first line of the previous drawing, then rewrite every line (each cut to the width, so
        // nothing wraps and the line count stays right).
        let text = drawn > 0 ? `\r\u001b[${drawn}A` : "";
        const lines = [
          `\u001b[1m? ${request.question}\u001b[0m`,
          ...choices.map((choice, i) => (i === selected ? `\u001b[36m❯ ${fit(choice.label)}\u001b[0m` : `  ${fit(choice.label)}`)),
          `\u001b[2mTIMER: ${remaining} seconds remaining (↑/↓ and Enter to choose)\u001b[0m`,
        ];
        text += lines.map((line) => `\u001b[2K${line}`).join("\n") + "\n";
        drawn = lines.length;
        output.write(text);
      };

      const finish = (index: number) => {
        clearInterval(timer);
        request.signal?.removeEventListener("abort", onAbort);
        input.removeListener("data", onData);
        input.setRawMode?.(false);
        input.pause();
        // Replace the prompt by one line saying what was chosen, so the scrollback stays readable.
        output.write(`\r\u001b[${drawn}A\u001b[J? ${request.question} \u001b[36m${fit(choices[index]!.label)}\u001b[0m\n`);
        resolve(choices[index]!.value);
      };

      const onKey = (key: string): boolean => {
        if (key === CTRL_C) return (finish(request.interruptIndex), true);
        if (ENTER.has(key)) return (finish(selected), true);
        if (/^[1-9]$/.test(key) && Number(key) <= choices.length) return (finish(Number(key) - 1), true);
        if (UP.has(key)) selected = (selected + choices.length - 1) % choices.length;
        else if (DOWN.has(key)) selected = (selected + 1) % choices.length;
        else return false;
        draw();
        return false;
      };
      // One read may hold several keys (typed fast, pasted, or sent together): take them one by one.
      const onData = (data: Buffer | string) => {
        for (const [key] of data.toString().matchAll(KEYS)) if (onKey(key)) return;
      };
      const onAbort = () => finish(request.defaultIndex);

      if (request.signal?.aborted) return resolve(choices[request.defaultIndex]!.value);
      const timer = setInterval(() => {
        remaining -= 1;
        if (remaining <= 0) finish(request.defaultIndex);
        else draw();
      }, 1000);
      request.signal?.addEventListener("abort", onAbort, { once: true });
      input.setRawMode?.(true);
      input.on("data", onData);
      input.resume();
      draw();
    });
}

/** The prompter for this process: the terminal one when stdin and stderr are terminals, else the defaults. */
export function processPrompter(): Prompter {
  return canPrompt() ? terminalPrompter() : defaultChoice;
}
