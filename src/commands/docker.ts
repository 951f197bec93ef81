import { ensureDocker } from '../host/docker.ts';
import { task } from '../ui/progress.ts';
import type { Command } from './types.ts';

export const docker: Command = {
  summary: 'make sure a Docker engine runs (installs and starts one on Debian as root)',
  usage: 'lab docker',
  options: {},
  async run() {
    await task('Docker engine', async (t) => {
      const e = await ensureDocker((s) => t.step(s));
      t.detail(`${e.version}, cgroup v${e.cgroupVersion}, ${e.how === 'running' ? 'already running' : e.how}`);
    });
  },
};
