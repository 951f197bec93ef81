/**
 * Task-list progress on the terminal: one line per task, rewritten in place on a TTY, printed once per
 * step change elsewhere (CI logs stay readable). Full logs go to files, never here.
 */
export interface Task {
  /** Show what the task is doing now. */
  step(text: string): void;
  /** Replace the final detail shown after the title. */
  detail(text: string): void;
}

const tty = process.stderr.isTTY === true;
const mark = { ok: tty ? '\u001b[32m✔\u001b[0m' : '✔', fail: tty ? '\u001b[31m✖\u001b[0m' : '✖', run: '…' };

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function write(line: string, rewrite: boolean): void {
  if (rewrite && tty) process.stderr.write(`\r\u001b[2K${line}`);
  else process.stderr.write(`${line}\n`);
}

export async function task<T>(title: string, fn: (t: Task) => Promise<T>): Promise<T> {
  const started = Date.now();
  let detail = '';
  let lastStep = '';
  const t: Task = {
    step(text) {
      if (text === lastStep) return;
      lastStep = text;
      write(`${mark.run} ${title}: ${text} (${formatSeconds(Date.now() - started)})`, true);
    },
    detail(text) {
      detail = text;
    },
  };
  write(`${mark.run} ${title}`, true);
  try {
    const result = await fn(t);
    const extra = [detail, formatSeconds(Date.now() - started)].filter(Boolean).join(', ');
    write(`${mark.ok} ${title} (${extra})`, true);
    if (tty) process.stderr.write('\n');
    return result;
  } catch (err) {
    write(`${mark.fail} ${title}${lastStep ? ` at step: ${lastStep}` : ''}`, true);
    if (tty) process.stderr.write('\n');
    throw err;
  }
}

export function info(line: string): void {
  process.stderr.write(`${line}\n`);
}
