// The files of one container under /var/log/pods/<ns>_<pod>_<uid>/<container>/:
//   N.log                 the live file of the container's N-th (re)start
//   N.log.<YYYYMMDD-HHMMSS>  rotated by the kubelet (the newest rotated one stays uncompressed)
//   N.log.<...>.gz        older rotated files, compressed: not read
// Oldest first: by N, then rotated files by their time stamp, then the live file.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LogFile {
  name: string;
  ino: number;
  size: number;
}

const pattern = /^(\d+)\.log(?:\.(\d{8}-\d{6}))?$/;

export function logFileOrder(name: string): [number, string] | null {
  const m = pattern.exec(name);
  if (!m) return null;
  // The live file sorts after every time stamp of its restart count.
  return [Number(m[1]), m[2] ?? '~'];
}

export function sortLogFiles<T extends { name: string }>(files: T[]): T[] {
  const keyed = files.flatMap((f) => {
    const k = logFileOrder(f.name);
    return k ? [{ f, k }] : [];
  });
  keyed.sort((a, b) => a.k[0] - b.k[0] || (a.k[1] < b.k[1] ? -1 : a.k[1] > b.k[1] ? 1 : 0));
  return keyed.map((x) => x.f);
}

/** Lists the readable log files of a container directory, oldest first; [] if the directory is gone. */
export async function listLogFiles(dir: string): Promise<LogFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const files: LogFile[] = [];
  for (const name of names) {
    if (!logFileOrder(name)) continue;
    try {
      const st = await stat(join(dir, name));
      if (st.isFile()) files.push({ name, ino: st.ino, size: st.size });
    } catch {
      // Renamed or compressed between readdir and stat: the next listing sees its new name.
    }
  }
  return sortLogFiles(files);
}

/** `<ns>_<pod>_<uid>`: Kubernetes names and UIDs contain no underscore, so the split is exact. */
export function parsePodDir(name: string): { namespace: string; pod: string; uid: string } | null {
  const parts = name.split('_');
  if (parts.length !== 3 || parts.some((p) => p === '')) return null;
  return { namespace: parts[0]!, pod: parts[1]!, uid: parts[2]! };
}
