import { statfsSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { LabError } from '../util/errors.ts';

const GiB = 1024 ** 3;

export function freeDiskGiB(path: string): number {
  const s = statfsSync(path);
  return (s.bavail * s.bsize) / GiB;
}

/** Refuses to start work that would run the disk full half-way: a half-built image helps no one. */
export function requireDisk(path: string, needGiB: number, what: string): void {
  const free = freeDiskGiB(path);
  if (free < needGiB) {
    throw new LabError(
      `not enough disk for ${what}: ${free.toFixed(1)} GiB free at ${path}, need about ${needGiB} GiB`,
      'free some space (e.g. `docker system prune`, old runs/ folders) and run the command again',
    );
  }
}

export function availableMemoryGiB(): number {
  return freemem() / GiB;
}

export function requireMemory(needGiB: number, what: string): void {
  const free = availableMemoryGiB();
  if (free < needGiB) {
    throw new LabError(
      `not enough memory for ${what}: ${free.toFixed(1)} GiB available of ${(totalmem() / GiB).toFixed(1)} GiB, need about ${needGiB} GiB`,
      'close other containers or programs, or lower the worker count / node memory in the scenario (cluster.workers, cluster.nodeMemory)',
    );
  }
}
