import { spawn, type SpawnOptions } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { LabError } from './errors.ts';
import { abortReason, currentSignal } from './interrupt.ts';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Append stdout and stderr to this file as well (full logs live in files, the terminal gets a summary). */
  logFile?: string;
  /** Called for every complete output line, stdout and stderr alike. */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller inspects `code`. */
  allowFailure?: boolean;
  /**
   * Stops the command (its whole process group: scripts start builds of their own) and rejects with the
   * signal's reason; by default the scope's Ctrl-C/SIGTERM signal (util/interrupt.ts).
   */
  signal?: AbortSignal;
}

/** How long a stopped command gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Quote one argument so the printed command can be pasted into a shell as is. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs an external command. A failure throws a LabError carrying the exact command line, ready to paste,
 * and the last lines of its output: the two things a user needs to debug it without rerunning us.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const signal = opts.signal ?? currentSignal();
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    // Its own process group, so that an abort reaches what a script started (a build, `go install`).
    const spawnOpts: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true };
    const child = spawn(cmd, args, spawnOpts);
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settled = () => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
    };
    let log: WriteStream | undefined;
    if (opts.logFile) {
      // A first run has no log folder yet; a stream error must become this command's failure, not a crash.
      mkdirSync(dirname(opts.logFile), { recursive: true });
      log = createWriteStream(opts.logFile, { flags: 'a' });
      log.on('error', () => {});
      log.write(`\n$ ${commandLine(cmd, args)}\n`);
    }
    let stdout = '';
    let stderr = '';
    const partial = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: Buffer) => {
      const text = chunk.toString();
      if (which === 'out') stdout += text;
      else stderr += text;
      log?.write(text);
      if (!opts.onLine) return;
      const lines = (partial[which] + text).split('\n');
      partial[which] = lines.pop() ?? '';
      for (const line of lines) opts.onLine(line);
    };
    child.stdout?.on('data', (c: Buffer) => feed('out', c));
    child.stderr?.on('data', (c: Buffer) => feed('err', c));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => killGroup('SIGKILL'), opts.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      settled();
      log?.end();
      const hint = err.code === 'ENOENT' ? `install ${cmd} or put it on PATH` : undefined;
      reject(new LabError(`could not start \`${commandLine(cmd, args)}\`: ${err.message}`, hint));
    });
    child.on('close', (code, killedBy) => {
      if (timer) clearTimeout(timer);
      settled();
      if (opts.onLine) for (const rest of [partial.out, partial.err]) if (rest) opts.onLine(rest);
      log?.end();
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const result = { code: code ?? (killedBy ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !opts.allowFailure) {
        const output = tail(stderr || stdout, 15);
        reject(
          new LabError(
            `command failed (exit ${code ?? killedBy}): ${commandLine(cmd, args)}`,
            undefined,
            output ? `last lines of its output:\n${output}` : undefined,
          ),
        );
        return;
      }
      resolve(result);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Runs a command and returns trimmed stdout. */
export async function capture(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return (await run(cmd, args, opts)).stdout.trim();
}

/** True when the command exits 0; never throws for a failing command. */
export async function succeeds(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<boolean> {
  try {
    return (await run(cmd, args, { ...opts, allowFailure: true })).code === 0;
  } catch {
    return false;
  }
}
