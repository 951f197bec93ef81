/**
 * A container runtime the lab's kind nodes can run, behind one small interface: adding a runtime is one
 * new file here implementing `RuntimeProvider` and one entry in `RUNTIMES` (index.ts). A new runtime must
 * provide:
 *
 * - `name`: the value of `cluster.runtime` in scenarios;
 * - `nodeImage`: the catalog image (`lab/images/<nodeImage>/`) its nodes run, which is also the image the
 *   lab's images are baked onto; its `image.json` version is the Kubernetes version the runtime implies
 *   for the whole cluster (the kubelet version skew rules allow no other);
 * - `kubeadmPatches` / `kubeletExtraArgs`: what kind's config must add for it (CRI socket, kubelet flags);
 * - how images reach a node: `readyCommand` (answers once the runtime inside a node is up),
 *   `importCommand` (reads an image tar on stdin; used while kubeadm still runs) and `loadImage` (after
 *   creation, skipping what a node already has);
 * - `logDirs`: the node folders holding container logs, which log shippers mount;
 * - `processPart`: which processes inside a node are "the runtime" (and its shims) for CPU sampling;
 * - `probeCommand`: a runtime-latency probe run inside a node (lists containers through the runtime);
 * - `bakes`: whether the lab's images can be baked into its node image (node-baked/bake.sh imports them
 *   with containerd's `ctr`); a runtime that cannot has every image loaded at `lab up` instead.
 */
export interface RuntimeProvider {
  readonly name: string;
  /** The catalog name of the node image (lab/images/<nodeImage>), also the one bake builds on. */
  readonly nodeImage: string;
  /** kubeadm config patches (documents for kind's `kubeadmConfigPatches`) every node needs for this runtime. */
  kubeadmPatches(): string[];
  /** kubelet flags every node needs for this runtime (kubeadm `nodeRegistration.kubeletExtraArgs`). */
  kubeletExtraArgs(): Record<string, string>;
  /** Run inside a node: exits 0 once the runtime answers. */
  readonly readyCommand: readonly string[];
  /** Run inside a node with `docker exec -i`: imports the image tar given on stdin. */
  readonly importCommand: readonly string[];
  /** Makes an image present on some nodes of a running cluster; cheap when they already have it. */
  loadImage(o: LoadImage): Promise<void>;
  /** Folders on a node where container logs live (mounted read-only into node shippers). */
  readonly logDirs: readonly string[];
  /**
   * Which part of the node a process is, by its name: the runtime itself, its shims, or neither. A runtime
   * of several daemons (dockerd over containerd) names each 'runtime'; the CPU sampler records them apart.
   */
  processPart(comm: string): 'runtime' | 'shims' | undefined;
  /** A runtime-latency probe: run inside a node, it lists containers through the runtime. */
  readonly probeCommand: readonly string[];
  /** Whether `node-baked/bake.sh` can bake lab images into this runtime's node image. */
  readonly bakes: boolean;
}

export interface LoadImage {
  /** The kind binary. */
  kind: string;
  cluster: string;
  nodes: string[];
  ref: string;
  logFile?: string;
  signal?: AbortSignal;
}
