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

/** What the external broker may take (its heap is capped at 512 MiB; the JVM and page cache take the rest). */
export const KAFKA_MEMORY_GIB = 1;

export interface LabMemoryParts {
  /** Control planes about to be created, and each one's memory limit. */
  controlPlanes: number;
  controlPlaneGiB: number;
  /** Workers about to be created (over every new cluster), and each one's memory limit. */
  workers: number;
  workerGiB: number;
  /** Whether the broker starts too (it does with the first cluster). */
  kafka: boolean;
}

/**
 * Memory that must be free before creating clusters: every new node at its limit, plus the broker. Split
 * clusters have the same workers as one cluster but a second control plane, which is what the check is for.
 */
export function labMemoryGiB(p: LabMemoryParts): number {
  return p.controlPlanes * p.controlPlaneGiB + p.workers * p.workerGiB + (p.kafka ? KAFKA_MEMORY_GIB : 0);
}
