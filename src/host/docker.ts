import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../util/errors.ts';
import { capture, run, succeeds } from '../util/exec.ts';
import { repoRoot } from '../util/paths.ts';

export interface DockerEngine {
  version: string;
  how: 'running' | 'started' | 'installed';
  cgroupVersion: string;
}

/** Machine-wide like the engine itself (host package installs log here too); LAB_ENGINE_LOG_DIR moves it (tests of the first-run path use an empty one). */
export const ENGINE_LOG_DIR = process.env.LAB_ENGINE_LOG_DIR ?? '/var/log/outage-lab';
export const engineLog = join(ENGINE_LOG_DIR, 'dockerd.log');
/** The oldest engine seen to run kind's privileged nodes on hosts lacking CAP_SYS_RESOURCE. */
const MIN_MAJOR = 26;

async function engineInfo(): Promise<{ version: string; cgroupVersion: string } | undefined> {
  try {
    const out = await capture('docker', ['info', '--format', '{{.ServerVersion}} {{.CgroupVersion}}'], { timeoutMs: 15_000 });
    const [version = '', cgroupVersion = ''] = out.split(' ');
    return version ? { version, cgroupVersion } : undefined;
  } catch {
    return undefined;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function dockerdVersionMajor(): Promise<number | undefined> {
  if (!(await succeeds('sh', ['-c', 'command -v dockerd']))) return undefined;
  const out = await capture('dockerd', ['--version']).catch(() => '');
  const m = /version (\d+)\./.exec(out);
  return m ? Number(m[1]) : undefined;
}

async function waitForEngine(timeoutMs: number): Promise<{ version: string; cgroupVersion: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const info = await engineInfo();
    if (info) return info;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new LabError(
    `the Docker engine did not answer within ${timeoutMs / 1000} s`,
    `read ${engineLog}; a stale /var/run/docker.pid or /var/run/docker.sock can block it`,
  );
}

/** Starts dockerd detached so it outlives this command, as a service manager would. */
function startDaemon(): void {
  mkdirSync(ENGINE_LOG_DIR, { recursive: true });
  const out = openSync(engineLog, 'a');
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
}

/**
 * Uses a running Docker engine; on a Debian host as root with none, installs one that can run privileged
 * containers here and starts it. Everywhere else, says what the user has to do.
 */
export async function ensureDocker(onStep: (s: string) => void = () => {}): Promise<DockerEngine> {
  const hasCli = await succeeds('sh', ['-c', 'command -v docker']);
  const running = hasCli ? await engineInfo() : undefined;
  if (running) return { ...running, how: 'running' };

  if (platform() === 'darwin' || platform() === 'win32') {
    throw new LabError(
      hasCli ? 'Docker is installed but its engine is not running' : 'Docker is not installed',
      hasCli ? 'start Docker Desktop (or colima/OrbStack) and wait until `docker info` answers' : 'install Docker Desktop, start it, then run this again',
    );
  }
  if (!isRoot()) {
    throw new LabError(
      hasCli ? 'the Docker engine is not running (or this user may not use it)' : 'Docker is not installed',
      hasCli
        ? 'start it (`sudo systemctl start docker`) and make sure `docker info` works as this user (group "docker")'
        : 'install Docker Engine for your distribution, or run this command as root on Debian and the lab installs one',
    );
  }
  let how: DockerEngine['how'] = 'started';
  const major = await dockerdVersionMajor();
  if (major === undefined || major < MIN_MAJOR) {
    if (!existsSync('/usr/bin/apt-get')) {
      throw new LabError('no Docker engine and this is not a Debian-like system', 'install Docker Engine 26 or newer and start it');
    }
    onStep(`installing a Docker engine (dockerd ${major ?? 'absent'}, need ${MIN_MAJOR}+)`);
    await run('bash', [join(repoRoot, 'lab', 'host', 'install-docker.sh')], {
      logFile: join(ENGINE_LOG_DIR, 'install.log'),
      timeoutMs: 15 * 60_000,
    }).catch((err: unknown) => {
      throw new LabError('installing the Docker engine failed', `read ${join(ENGINE_LOG_DIR, 'install.log')}`, String((err as LabError).details ?? err));
    });
    how = 'installed';
  }
  onStep('starting dockerd');
  startDaemon();
  // After an unclean stop the engine first cleans up old containers: give it time.
  const info = await waitForEngine(180_000);
  return { ...info, how };
}

/** The memory the engine's containers see in /proc/meminfo (the host's, or Docker Desktop's VM's). */
export async function engineMemoryBytes(): Promise<number> {
  return Number(await capture('docker', ['info', '--format', '{{.MemTotal}}'], { timeoutMs: 15_000 }));
}
