// A container's CPU time and memory read straight from its cgroup: `docker stats` takes seconds per
// call and timed out (60 s) with the machine at load 40, which cost a sweep its run.
import { readFileSync } from 'node:fs';
import { dockerOut } from '../docker/cli.ts';

const V1_CPU = (id: string) => `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
const V1_MEM = (id: string) => `/sys/fs/cgroup/memory/docker/${id}/memory.usage_in_bytes`;
const V2 = (id: string) => [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`];

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Cumulative CPU time of a container in nanoseconds (cgroup v1 or v2), null where neither is readable. */
export function cpuNs(id: string): number | null {
  const v1 = readText(V1_CPU(id));
  if (v1 !== null) return Number(v1.trim());
  for (const dir of V2(id)) {
    const stat = readText(`${dir}/cpu.stat`);
    const m = stat && /^usage_usec (\d+)$/m.exec(stat);
    if (m) return Number(m[1]) * 1000;
  }
  return null;
}

/** Memory of a container in bytes as `docker stats` counts it: usage less inactive page cache. */
export function memBytes(id: string): number | null {
  const inactive = (stat: string | null, key: string) => Number((stat && new RegExp(`^${key} (\\d+)$`, 'm').exec(stat)?.[1]) ?? 0);
  const v1 = readText(V1_MEM(id));
  if (v1 !== null) return Number(v1.trim()) - inactive(readText(V1_MEM(id).replace('memory.usage_in_bytes', 'memory.stat')), 'total_inactive_file');
  for (const dir of V2(id)) {
    const cur = readText(`${dir}/memory.current`);
    if (cur !== null) return Number(cur.trim()) - inactive(readText(`${dir}/memory.stat`), 'inactive_file');
  }
  return null;
}

export async function containerIds(names: string[]): Promise<Map<string, string>> {
  const out = await dockerOut(['inspect', '--format', '{{.Name}} {{.Id}}', ...names], { timeoutMs: 120_000 });
  return new Map(out.split('\n').filter(Boolean).map((l) => {
    const [name, id] = l.trim().split(' ');
    return [name!.replace(/^\//, ''), id!];
  }));
}

/** CPU used between two readings, in percent of one core. */
export function cpuPct(before: number | null, after: number | null, wallMs: number): number | null {
  if (before === null || after === null || wallMs <= 0) return null;
  return ((after - before) / 1e6 / wallMs) * 100;
}
