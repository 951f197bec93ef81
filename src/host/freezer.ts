// cgroup v1 trap: runc freezes a container's cgroup for a moment while it rewrites its device rules. If a
// kind node is killed inside that moment, the nested cgroup stays FROZEN, its tasks can no longer take
// the kill, and `docker rm -f` of the node fails with "did not receive an exit event" for good. Thawing
// the frozen cgroups lets the kill through. Only the lab's own node containers are ever touched.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FREEZER = '/sys/fs/cgroup/freezer';

/** Where Docker puts a container's freezer cgroup, with the cgroupfs and the systemd drivers. */
function roots(containerId: string): string[] {
  return [join(FREEZER, 'docker', containerId), join(FREEZER, 'system.slice', `docker-${containerId}.scope`)].filter((p) => existsSync(p));
}

function frozenUnder(dir: string, out: string[]): void {
  try {
    if (readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'THAWED') out.push(dir);
  } catch {
    return;
  }
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) frozenUnder(join(dir, e.name), out);
}

/** Thaws every frozen cgroup inside the given containers; returns how many were frozen. Never throws. */
export function thawContainers(containerIds: string[]): number {
  let thawed = 0;
  for (const id of containerIds) {
    for (const root of roots(id)) {
      const frozen: string[] = [];
      frozenUnder(root, frozen);
      for (const dir of frozen) {
        try {
          writeFileSync(join(dir, 'freezer.state'), 'THAWED');
          thawed++;
        } catch {
          // Not root, or the cgroup went away meanwhile: nothing more this can do.
        }
      }
    }
  }
  return thawed;
}
