// Docker's json-file log format, what /var/log/pods/.../N.log links to under dockershim:
//   {"log":"<message>\n","stream":"stdout|stderr","time":"<RFC3339Nano>"}
// dockerd cuts a line longer than its 16 KiB buffer into several records; only the last one ends with
// "\n", so a record without it is the CRI format's P (partial) and one with it an F.
import type { CriEntry } from './cri.ts';

export function parseDockerJsonLine(line: string): CriEntry | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null) return null;
  const { log, stream, time } = o as Record<string, unknown>;
  if (typeof log !== 'string' || typeof time !== 'string' || (stream !== 'stdout' && stream !== 'stderr')) return null;
  const full = log.endsWith('\n');
  return { time, stream, partial: !full, content: full ? log.slice(0, -1) : log };
}
