// The node's filter table, from inside the agent's container. Host network puts the agent in the node's
// network namespace; what it must match too is the node's iptables backend (nft or legacy, as the node
// image chose at boot), or it would read and write a table nobody else uses.
import { execFile } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Run = (file: string, args: readonly string[], timeoutMs: number) => Promise<RunResult>;

/** Resolves with the exit status; rejects only when the program could not run (missing, killed by the timeout). */
export const runProgram: Run = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as { code?: unknown; killed?: boolean; message: string } | null;
      if (e && (typeof e.code !== 'number' || e.killed)) return reject(new Error(`${file} ${args.join(' ')}: ${e.killed ? `no answer in ${timeoutMs} ms` : e.message}`));
      resolve({ code: e ? (e.code as number) : 0, stdout, stderr });
    });
  });

/** As the node image's iptables-mode does: the backend that already holds rules is the node's. */
export async function detectBackend(run: Run): Promise<'iptables-nft' | 'iptables-legacy'> {
  const count = async (save: string) => {
    const r = await run(save, [], 10_000).catch(() => undefined);
    return r && r.code === 0 ? r.stdout.split('\n').filter((l) => l.startsWith('-')).length : 0;
  };
  const [legacy, nft] = await Promise.all([count('iptables-legacy-save'), count('iptables-nft-save')]);
  return legacy > nft ? 'iptables-legacy' : 'iptables-nft';
}

export class IptablesError extends Error {
  override name = 'IptablesError';
}

export class Iptables {
  constructor(
    readonly bin: string,
    private readonly run: Run = runProgram,
  ) {}

  /** `-w 5`: the node's other writers (kube-proxy, the CNI) hold the same lock file, mounted from the host. */
  async #ipt(args: readonly string[]): Promise<RunResult> {
    return this.run(this.bin, ['-w', '5', ...args], 15_000);
  }

  async list(): Promise<string[]> {
    const r = await this.#ipt(['-S']);
    if (r.code !== 0) throw new IptablesError(`${this.bin} -S exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout.split('\n').filter(Boolean);
  }

  async insert(rule: readonly string[]): Promise<void> {
    const r = await this.#ipt(['-I', ...rule]);
    if (r.code !== 0) throw new IptablesError(`${this.bin} -I ${rule.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }

  async delete(rule: readonly string[]): Promise<void> {
    const r = await this.#ipt(['-D', ...rule]);
    if (r.code !== 0) throw new IptablesError(`${this.bin} -D ${rule.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }
}
