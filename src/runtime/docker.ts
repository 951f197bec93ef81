import { docker } from '../docker/cli.ts';
import { run } from '../util/exec.ts';
import type { RuntimeProvider } from './provider.ts';

/** kubeadm 1.23 compares the socket to this exact string to pick dockershim (and `--network-plugin=cni`). */
export const DOCKERSHIM_SOCKET = '/var/run/dockershim.sock';
const CONTROL_PLANE_TAINT = 'node-role.kubernetes.io/control-plane';

/**
 * 2019's runtime: Docker in every node, under the kubelet's dockershim (Kubernetes 1.23, its last release).
 * dockerd copies every container's stdout into its json-file logs and answers the kubelet's relists, so a
 * busy dockerd is what can make PLEG unhealthy and the node NotReady.
 */
export const dockerRuntime = {
  name: 'docker',
  nodeImage: 'node-docker',
  // kind writes containerd's socket into every node registration; kubeadm must see dockershim's instead.
  // kubeadm 1.23 taints its control plane node-role.kubernetes.io/master (the control-plane key came in
  // 1.24): asking for the newer key keeps the lab's tolerations (Consul servers, Vault) the same on both runtimes.
  kubeadmPatches: () => [
    `kind: InitConfiguration\nnodeRegistration:\n  criSocket: ${DOCKERSHIM_SOCKET}\n  taints:\n  - {key: ${CONTROL_PLANE_TAINT}, effect: NoSchedule}\n`,
    `kind: JoinConfiguration\nnodeRegistration:\n  criSocket: ${DOCKERSHIM_SOCKET}\n`,
  ],
  // The 1.23 default, said explicitly so the kind config shows which runtime the kubelet drives.
  kubeletExtraArgs: () => ({ 'container-runtime': 'docker' }),
  readyCommand: ['docker', 'version', '--format', '{{.Server.Version}}'],
  importCommand: ['docker', 'load', '--quiet'],
  // `kind load` imports with containerd's ctr, which sees nothing of dockerd's images: stream the image
  // into each node's dockerd instead, skipping nodes that already have it.
  async loadImage({ nodes, ref, logFile, signal }) {
    for (const node of nodes) {
      const has = await docker(['exec', node, 'docker', 'image', 'inspect', '--format', '{{.Id}}', ref], { allowFailure: true, ...(signal ? { signal } : {}) });
      if (has.code === 0) continue;
      await run('bash', ['-o', 'pipefail', '-c', 'docker save "$1" | docker exec -i "$2" docker load --quiet', 'load', ref, node], {
        ...(logFile ? { logFile } : {}),
        timeoutMs: 10 * 60_000,
        ...(signal ? { signal } : {}),
      });
    }
  },
  // dockershim links /var/log/pods/... to dockerd's json-file logs, so shippers tailing files need the target too.
  logDirs: ['/var/log/pods', '/var/log/containers', '/var/lib/docker/containers'],
  // dockerd and the containerd under it are both the shared daemon of 2019; the shims carry each container's stdio.
  processPart: (comm) => (comm === 'dockerd' || comm === 'containerd' ? 'runtime' : comm.startsWith('containerd-shim') ? 'shims' : undefined),
  // What dockershim's relist asks dockerd for: every container, running or not.
  probeCommand: ['docker', 'ps', '--all', '--quiet', '--no-trunc'],
  // node-baked/bake.sh imports with containerd's ctr; this node's images live in dockerd, loaded at up time.
  bakes: false,
} as const satisfies RuntimeProvider;
