// Runs the real `lab` CLI in its own process against throwaway roots: state, cache, runs, HOME and
// kubeconfig all in fresh temp folders, so a test never sees (or touches) the machine's lab.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');

export interface Sandbox {
  root: string;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  /** Calls the fake tools received, one line each (only with fakeTools). */
  toolCalls(): string[];
}

/** Stand-ins for everything on the host a sandboxed command must never reach: engine, clusters, and the
 * installers (bash runs the lab's install scripts, so a fake bash stops them before they touch /etc or apt). */
const FAKE_TOOLS = ['bash', 'docker', 'dockerd', 'containerd', 'kind', 'kubectl', 'go', 'apt-get', 'apt', 'dpkg', 'debootstrap', 'chromium', 'systemctl', 'service', 'sudo'];

/**
 * Fresh roots for one test. With `fakeTools`, the tools above on PATH are stand-ins that record their
 * arguments and fail, and PATH holds nothing else but Node and /usr/bin:/bin: a command that must not
 * reach the host shows up in toolCalls() (and an installer it should never have started finds only fakes).
 */
export function sandbox(opts: { fakeTools?: boolean } = {}): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-cli-'));
  const dirs = Object.fromEntries(['state', 'cache', 'runs', 'home', 'xdg-state', 'engine-logs', 'bin'].map((d) => [d, path.join(root, d)]));
  // Only the folders that must exist on any machine: the lab creates its own.
  fs.mkdirSync(dirs.home!);
  const calls = path.join(root, 'tool-calls.log');
  let PATH = process.env.PATH ?? '';
  if (opts.fakeTools) {
    fs.mkdirSync(dirs.bin!);
    for (const tool of FAKE_TOOLS) {
      fs.writeFileSync(path.join(dirs.bin!, tool), `#!/bin/sh\necho "${tool} $*" >> '${calls}'\nexit 1\n`, { mode: 0o755 });
    }
    PATH = `${dirs.bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`;
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH,
    HOME: dirs.home,
    XDG_STATE_HOME: dirs['xdg-state'],
    LAB_STATE_DIR: dirs.state,
    LAB_CACHE: dirs.cache,
    LAB_RUNS_DIR: dirs.runs,
    LAB_ENGINE_LOG_DIR: dirs['engine-logs'],
    KUBECONFIG: path.join(dirs.home!, '.kube', 'config'),
  };
  delete env.LAB_DEBUG;
  return {
    root,
    env,
    stateDir: dirs.state!,
    toolCalls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) : []),
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `lab <args>` in its own process, killed after `timeoutMs`. */
export function lab(sb: Sandbox, args: string[], timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), ...args], { cwd: repoRoot, env: sb.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
