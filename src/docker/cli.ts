// The docker CLI as a function. Errors carry the exact command line, ready to paste, and the full
// stderr: with containers a failure is rarely understood without rerunning it by hand.
import { execFile } from 'node:child_process';
import { LabError } from '../util/errors.ts';
import { commandLine } from '../util/exec.ts';
import { abortReason, currentSignal } from '../util/interrupt.ts';

export interface DockerOptions {
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Kills the command and rejects with the signal's reason; by default the scope's Ctrl-C/SIGTERM signal. */
  signal?: AbortSignal;
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class DockerError extends LabError {
  constructor(
    readonly command: string,
    readonly code: number | string,
    readonly stderr: string,
  ) {
    super(`docker failed (exit ${code}):\n  ${command}`, undefined, stderr.trim() ? `stderr:\n${stderr.trimEnd()}` : undefined);
    this.name = 'DockerError';
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;

export function docker(args: readonly string[], opts: DockerOptions = {}): Promise<DockerResult> {
  const cmd = commandLine('docker', args);
  const signal = opts.signal ?? currentSignal();
  return new Promise((resolve, reject) => {
    execFile(
      'docker',
      args,
      // Logs of a chatty broker can be megabytes; the default 1 MiB buffer would cut them off.
      { timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, killSignal: 'SIGKILL', ...(signal ? { signal } : {}) },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        if (signal?.aborted) return reject(abortReason(signal));
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        if (e.code === 'ENOENT') {
          return reject(new LabError(`could not start \`${cmd}\`: docker is not on PATH`, 'install the Docker CLI'));
        }
        if (e.killed) {
          return reject(new DockerError(cmd, `killed after ${(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s`, stderr));
        }
        const code = typeof e.code === 'number' ? e.code : 1;
        if (opts.allowFailure) return resolve({ code, stdout, stderr });
        reject(new DockerError(cmd, code, stderr));
      },
    );
  });
}

/** Trimmed stdout of a docker command that must succeed. */
export async function dockerOut(args: readonly string[], opts: DockerOptions = {}): Promise<string> {
  return (await docker(args, opts)).stdout.trim();
}
