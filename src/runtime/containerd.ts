import { run } from '../util/exec.ts';
import type { RuntimeProvider } from './provider.ts';

/** kind's own runtime: containerd with runc shims, the CRI built in; what every node ran before `cluster.runtime`. */
export const containerd = {
  name: 'containerd',
  nodeImage: 'node',
  // kind's node image is made for containerd: its default CRI socket and kubelet flags are already right.
  kubeadmPatches: () => [],
  kubeletExtraArgs: () => ({}),
  readyCommand: ['ctr', '--namespace=k8s.io', 'version'],
  importCommand: ['ctr', '--namespace=k8s.io', 'images', 'import', '--all-platforms', '--digests', '--snapshotter=overlayfs', '-'],
  // `kind load` skips the nodes that already have the image, so after the early import it is a check.
  async loadImage({ kind, cluster, nodes, ref, logFile, signal }) {
    await run(kind, ['load', 'docker-image', '--name', cluster, '--nodes', nodes.join(','), ref], { ...(logFile ? { logFile } : {}), timeoutMs: 10 * 60_000, ...(signal ? { signal } : {}) });
  },
  // The CRI writes every container's stdout under /var/log/pods; /var/log/containers holds links to them.
  logDirs: ['/var/log/pods', '/var/log/containers'],
  processPart: (comm) => (comm === 'containerd' ? 'runtime' : comm.startsWith('containerd-shim') ? 'shims' : undefined),
  probeCommand: ['crictl', 'ps', '--quiet'],
  bakes: true,
} as const satisfies RuntimeProvider;
