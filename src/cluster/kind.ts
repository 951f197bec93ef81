import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { LabError } from '../util/errors.ts';
import { capture, run, succeeds } from '../util/exec.ts';
import { cacheDir, repoRoot } from '../util/paths.ts';
import { imagesDir, loadSpecs } from '../images/catalog.ts';
import { runtimeProvider } from '../runtime/index.ts';
import type { NodeRole } from '../images/bake-plan.ts';
import { NODE_PORTS, type ClusterSettings } from './settings.ts';
import { workerEviction } from './kubelet-eviction.ts';
import { thawContainers } from '../host/freezer.ts';

/** kind v0.30 is the last release whose default is Kubernetes 1.34, the newest that runs on cgroup v1. */
export const KIND_VERSION = 'v0.30.0';

async function kindVersionOf(bin: string): Promise<string | undefined> {
  const out = await capture(bin, ['version']).catch(() => '');
  return /kind (v[\d.]+)/.exec(out)?.[1];
}

/** Finds kind (the cached one, then PATH) at the pinned version, installing it from Go modules if absent. */
export async function ensureKind(onStep: (s: string) => void = () => {}): Promise<string> {
  const cached = join(cacheDir, 'bin', 'kind');
  if (existsSync(cached) && (await kindVersionOf(cached)) === KIND_VERSION) return cached;
  if ((await succeeds('sh', ['-c', 'command -v kind'])) && (await kindVersionOf('kind')) === KIND_VERSION) return 'kind';
  if (!(await succeeds('sh', ['-c', 'command -v go']))) {
    throw new LabError(
      `kind ${KIND_VERSION} is not installed and there is no Go toolchain to build it`,
      `install kind ${KIND_VERSION} (https://kind.sigs.k8s.io) or Go, then run this again`,
    );
  }
  onStep(`installing kind ${KIND_VERSION} with go install`);
  await run('bash', [join(repoRoot, 'lab', 'host', 'install-kind.sh')], {
    env: { ...process.env, LAB_CACHE: cacheDir },
    timeoutMs: 15 * 60_000,
  });
  return cached;
}

export async function clusterExists(kind: string, name: string): Promise<boolean> {
  const out = await capture(kind, ['get', 'clusters']).catch(() => '');
  return out.split('\n').includes(name);
}

export async function nodeContainers(kind: string, name: string): Promise<string[]> {
  const out = await capture(kind, ['get', 'nodes', '--name', name]).catch(() => '');
  return out.split('\n').filter(Boolean).sort();
}

/**
 * `kind delete cluster`, made safe against nodes killed while runc had a nested cgroup frozen
 * (host/freezer.ts): thaw first, and once more before a second try if the engine still cannot kill one.
 */
export async function deleteCluster(kind: string, name: string, opts: { logFile?: string } = {}): Promise<void> {
  const ids = async () => {
    const nodes = await nodeContainers(kind, name);
    if (!nodes.length) return [];
    return (await capture('docker', ['inspect', '--format', '{{.Id}}', ...nodes]).catch(() => '')).split('\n').filter(Boolean);
  };
  thawContainers(await ids());
  const first = await run(kind, ['delete', 'cluster', '--name', name], { ...opts, allowFailure: true });
  if (first.code === 0) return;
  thawContainers(await ids());
  await run(kind, ['delete', 'cluster', '--name', name], opts);
}

/** True when the node image (catalog name `catalogName`) is an upstream kindest/node (pulled) rather than the lab's own build. */
export async function nodeImageIsUpstream(ref: string, catalogName = 'node'): Promise<boolean> {
  const pull = loadSpecs().get(catalogName)?.pull;
  if (!pull) return false;
  const id = (r: string) => capture('docker', ['image', 'inspect', '--format', '{{.Id}}', r]).catch(() => '');
  const [a, b] = await Promise.all([id(ref), id(pull)]);
  return a !== '' && a === b;
}

function kubeadmPatches(s: ClusterSettings, localImage: boolean): string[] {
  // kind v0.30 writes kubeadm v1beta3 even for 1.34, where extraArgs is a map (v1beta4 made it a list).
  const args = (o: Record<string, string>) => o;
  const { defaultTolerationSeconds: tolerationSeconds } = s;
  const cluster = {
    kind: 'ClusterConfiguration',
    apiServer: {
      extraArgs: args({
        'default-not-ready-toleration-seconds': String(tolerationSeconds),
        'default-unreachable-toleration-seconds': String(tolerationSeconds),
      }),
    },
    controllerManager: {
      extraArgs: args({
        'node-monitor-grace-period': s.nodeMonitorGracePeriod,
        'enable-hostpath-provisioner': 'true',
      }),
    },
  };
  const kubelet = { kind: 'KubeletConfiguration', nodeStatusUpdateFrequency: s.nodeStatusUpdateFrequency };
  const runtime = runtimeProvider(s.runtime);
  const patches = [stringify(cluster), stringify(kubelet), ...runtime.kubeadmPatches()];
  const localPatch = join(imagesDir, runtime.nodeImage, 'kind-patch.yaml');
  if (localImage && existsSync(localPatch)) {
    // What the locally built node image needs from kubeadm (image names, cgroup v1 tolerations); the file
    // is a kind Cluster fragment so it can also be used by hand with `kind create cluster --config`.
    const fragment = parse(readFileSync(localPatch, 'utf8')) as { kubeadmConfigPatches?: string[] };
    patches.push(...(fragment.kubeadmConfigPatches ?? []));
  }
  return patches;
}

/** The node image of each role: one image for both, or each role's own (lab images baked in, images/bake.ts). */
export type RoleImages = string | Record<NodeRole, string>;

/** The kind cluster config, as an object: rendered to YAML only when handed to kind. */
export function kindConfig(s: ClusterSettings, images: RoleImages, localImage: boolean, hostMemoryBytes: number): Record<string, unknown> {
  const image = (role: NodeRole) => (typeof images === 'string' ? images : images[role]);
  // The runtime's kubelet flags go on every node; eviction only on the workers: the control plane is
  // sized roomy on purpose and keeps kubelet's host view.
  const runtimeArgs = runtimeProvider(s.runtime).kubeletExtraArgs();
  const join = {
    kind: 'JoinConfiguration',
    nodeRegistration: { kubeletExtraArgs: { ...runtimeArgs, 'eviction-hard': workerEviction(s, hostMemoryBytes).flag } },
  };
  const init = { kind: 'InitConfiguration', nodeRegistration: { kubeletExtraArgs: runtimeArgs } };
  const controlPlanePatches = Object.keys(runtimeArgs).length ? { kubeadmConfigPatches: [stringify(init)] } : {};
  const worker = { role: 'worker', image: image('worker'), labels: { 'outage-lab/role': 'worker' }, kubeadmConfigPatches: [stringify(join)] };
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: s.name,
    networking: { apiServerAddress: '127.0.0.1' },
    kubeadmConfigPatches: kubeadmPatches(s, localImage),
    nodes: [
      {
        role: 'control-plane',
        image: image('control-plane'),
        ...controlPlanePatches,
        extraPortMappings: [
          { containerPort: NODE_PORTS.consul, hostPort: s.consulHostPort, listenAddress: '127.0.0.1' },
          { containerPort: NODE_PORTS.vault, hostPort: s.vaultHostPort, listenAddress: '127.0.0.1' },
          // Mapped whichever Kafka runs now: an in-cluster broker can then replace the external one without a new cluster.
          { containerPort: NODE_PORTS.kafka, hostPort: s.kafkaInClusterHostPort, listenAddress: '127.0.0.1' },
        ],
      },
      ...Array.from({ length: s.workers }, () => worker),
    ],
  };
}

/** True when `docker inspect`'s HostConfig.PortBindings (as JSON) forward 127.0.0.1:hostPort to containerPort. */
export function bindsPort(portBindingsJson: string, containerPort: number, hostPort: number): boolean {
  let bindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  try {
    bindings = JSON.parse(portBindingsJson) as typeof bindings;
  } catch {
    return false;
  }
  return (bindings?.[`${containerPort}/tcp`] ?? []).some((b) => b.HostPort === String(hostPort) && (b.HostIp ?? '') === '127.0.0.1');
}

/** Whether a cluster's control plane forwards the host port an in-cluster broker needs (clusters made before that option do not). */
export async function controlPlaneForwards(name: string, containerPort: number, hostPort: number): Promise<boolean> {
  const json = await capture('docker', ['inspect', '--format', '{{json .HostConfig.PortBindings}}', `${name}-control-plane`]).catch(() => '');
  return bindsPort(json, containerPort, hostPort);
}

export function renderKindConfig(config: Record<string, unknown>): string {
  return stringify(config);
}
