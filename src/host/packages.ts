// The few host programs the lab needs beside Docker (Chromium for the browser suite, ...), installed the
// way the Docker engine is: from Debian's packages, only as root on a Debian-like host; anywhere else one
// line says what to install. A first run on a fresh machine then needs nothing the README does not name.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../util/errors.ts';
import { run, succeeds } from '../util/exec.ts';
import { ENGINE_LOG_DIR } from './docker.ts';

export interface HostProgram {
  /** The command looked up on PATH. */
  command: string;
  /** The Debian package that provides it. */
  pkg: string;
  /** Who needs it, for the message: "the browser suite". */
  neededBy: string;
  /** Another way out, for the message: "set LAB_CHROMIUM to a Chromium binary". */
  otherwise?: string;
}

const installLog = () => join(ENGINE_LOG_DIR, 'install.log');

/** Returns how the program came to be there; throws one clear LabError when it is not and cannot be installed here. */
export async function ensureHostProgram(p: HostProgram, onStep: (s: string) => void = () => {}): Promise<'present' | 'installed'> {
  const present = () => succeeds('sh', ['-c', `command -v ${p.command}`]);
  if (await present()) return 'present';
  const canInstall = typeof process.getuid === 'function' && process.getuid() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    throw new LabError(
      `${p.neededBy} needs ${p.command}, which is not installed`,
      `install Debian's ${p.pkg} package (\`apt-get install ${p.pkg}\`, or your distribution's)${p.otherwise ? `, or ${p.otherwise}` : ''}; as root on Debian the lab installs it itself`,
    );
  }
  onStep(`installing ${p.pkg} (apt-get)`);
  const apt = (args: string[]) =>
    run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, logFile: installLog(), timeoutMs: 15 * 60_000 });
  const install = ['install', '-y', '-qq', '--no-install-recommends', p.pkg];
  try {
    // The package lists may be missing or stale on a fresh machine: refresh once and retry.
    await apt(install).catch(async () => {
      await apt(['update', '-qq']);
      await apt(install);
    });
  } catch (err) {
    throw new LabError(`installing ${p.pkg} for ${p.neededBy} failed`, `read ${installLog()}`, String((err as LabError).details ?? err));
  }
  if (!(await present())) throw new LabError(`${p.pkg} is installed but ${p.command} is not on PATH`, `read ${installLog()}`);
  return 'installed';
}

export const CHROMIUM: HostProgram = {
  command: 'chromium',
  pkg: 'chromium',
  neededBy: 'the browser suite',
  otherwise: 'set LAB_CHROMIUM to a Chromium binary',
};
