// Debian packages a test or command needs on the host (promtool and prometheus for the Prometheus
// import test). One rule, kept here so every caller follows it: on a Debian-like host run as root, install
// the package when its program is missing; anywhere else say which package to install, never guess a
// package manager. apt-get takes the machine's own sources, so no mirror is named here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/exec.ts';
import { stateDir } from '../util/paths.ts';

export interface HostProgram {
  /** Debian package that ships it. */
  pkg: string;
  /** Absolute path the package installs it at. */
  path: string;
}

export type Availability = { ok: true; path: string; installed: boolean } | { ok: false; why: string };

/**
 * The program's path, installing its package first on a Debian root host when it is missing. Never throws
 * for "cannot install here": a test turns `why` into one skip line naming the package.
 */
export async function ensureHostProgram(p: HostProgram, opts: { timeoutMs?: number } = {}): Promise<Availability> {
  if (existsSync(p.path)) return { ok: true, path: p.path, installed: false };
  const how = `install Debian's \`${p.pkg}\` package (apt-get install --no-install-recommends ${p.pkg})`;
  if (!existsSync('/usr/bin/apt-get')) return { ok: false, why: `${p.path} is missing and this is not a Debian-like host: ${how} or its equivalent` };
  if (process.getuid?.() !== 0) return { ok: false, why: `${p.path} is missing and installing needs root: ${how}` };
  const logFile = join(stateDir, 'logs', 'host-packages.log');
  // Recommends would pull exporters and start nothing useful; the install never starts a service where
  // policy-rc.d forbids it (containers), and the lab never relies on one.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  let r = await run('apt-get', ['install', '-y', '--no-install-recommends', p.pkg], { env, logFile, timeoutMs, allowFailure: true });
  if (r.code !== 0) {
    // A fresh machine has no package lists yet.
    await run('apt-get', ['update'], { env, logFile, timeoutMs, allowFailure: true });
    r = await run('apt-get', ['install', '-y', '--no-install-recommends', p.pkg], { env, logFile, timeoutMs, allowFailure: true });
  }
  if (r.code !== 0 || !existsSync(p.path)) return { ok: false, why: `installing ${p.pkg} failed (exit ${r.code}); read ${logFile}` };
  return { ok: true, path: p.path, installed: true };
}

export const PROMETHEUS: HostProgram = { pkg: 'prometheus', path: '/usr/bin/prometheus' };
/** bookworm's prometheus package ships promtool; later releases split it into its own package. */
export const PROMTOOL: HostProgram = { pkg: 'prometheus', path: '/usr/bin/promtool' };
