import { appendFileSync, writeFileSync } from 'node:fs';
import { dockerMemoryBytes } from '../util/sizes.ts';
import { join } from 'node:path';
import { engineMemoryBytes, ensureDocker } from '../host/docker.ts';
import { labMemoryGiB, requireMemory } from '../host/resources.ts';
import { requirePortsFree } from '../host/ports.ts';
import { ensureImages, type ImageSource } from '../images/build.ts';
import { bakeEnabled, ensureNodeImages, unbaked, type NodeImages } from '../images/bake.ts';
import { notBaked } from '../images/bake-plan.ts';
import { info, task } from '../ui/progress.ts';
import { run } from '../util/exec.ts';
import { ensureDir, logsDir, stateDir } from '../util/paths.ts';
import { waitFor } from '../util/wait.ts';
import { connectNode, detachDcNetwork, ensureDcNetwork } from '../components/dc-network.ts';
import { ensureKafkaContainer, kafkaRoundTrip, removeKafkaContainer, waitForKafka, type KafkaEndpoint } from '../components/kafka.ts';
import { inClusterDiagnosis, kafkaInClusterEndpoint, removeKafkaInCluster, renderKafkaInCluster, waitForKafkaRollout } from '../components/kafka-in-cluster.ts';
import { consulClient, consulKvRoundTrip, consulLeader, memberCounts } from '../components/consul.ts';
import { CONSUL_2019, consulConfigMap, type ConsulTunings } from '../components/consul-config.ts';
import { ensureVaultUnsealed, vaultKvRoundTrip } from '../components/vault.ts';
import { clusterExists, controlPlaneForwards, deleteCluster, ensureKind, kindConfig, nodeContainers, nodeImageIsUpstream, renderKindConfig } from './kind.ts';
import { clients } from './kube.ts';
import { loadImagesEarly, NO_EARLY_LOAD, type EarlyImage, type EarlyLoad } from './early-load.ts';
import { applyAll, loadManifest, resolveImages } from './manifests.ts';
import { isReady, limitNodeContainers, startStoppedNodes } from './nodes.ts';
import { LabError } from '../util/errors.ts';
import { NODE_PORTS, PORT_ENV, SECOND_CLUSTER_PORT_OFFSET, kubeContextName, secondCluster, withEnvPorts, type ClusterSettings, type KafkaPlacement } from './settings.ts';
import { readState, writeState, type LabState } from './state.ts';

export interface UpOptions {
  /** The lab's cluster; with two clusters, the first, the second being its twin (settings.secondCluster). */
  settings: ClusterSettings;
  source?: ImageSource;
  consul?: ConsulTunings;
  /** Where Kafka runs; unset keeps the running lab's choice (external for a new lab). */
  kafka?: KafkaPlacement;
  /** One cluster, or two of `settings.workers` workers each sharing one Kafka; unset keeps the running lab's count (one for a new lab). */
  clusters?: 1 | 2;
}

const MEM_GIB = (m: string) => (dockerMemoryBytes(m) ?? 0) / 1024 ** 3;

/** The node containers kind creates for a cluster: `<name>-control-plane`, `<name>-worker`, `<name>-worker2`, … */
export function expectedNodeNames(cluster: string, workers: number): string[] {
  return [`${cluster}-control-plane`, ...Array.from({ length: workers }, (_, i) => `${cluster}-worker${i === 0 ? '' : i + 1}`)];
}

/**
 * Each image only where it runs: Vault on the control plane, the apps on workers, Consul everywhere, and
 * Kafka on the control plane when it runs in the cluster (an external broker runs from the host's image).
 */
export function imagePlacement(nodes: string[], images: Record<string, string>, kafka: KafkaPlacement = 'external'): EarlyImage[] {
  const cp = nodes.filter((n) => n.endsWith('-control-plane'));
  const workers = nodes.filter((n) => !n.endsWith('-control-plane'));
  return [
    { ref: images.consul!, nodes },
    { ref: images.vault!, nodes: cp },
    { ref: images.apps!, nodes: workers },
    ...(kafka === 'in-cluster' ? [{ ref: images.kafka!, nodes: cp }] : []),
  ];
}

/** The clusters `lab up` wants: the first, and its twin when two are asked for. */
export function wantedClusters(first: ClusterSettings, count: 1 | 2): ClusterSettings[] {
  return count === 2 ? [first, secondCluster(first)] : [first];
}

/** One cluster's part of `lab up`, as it goes along. */
interface UpCluster {
  s: ClusterSettings;
  /** The lab's first cluster (the one the broker is recreated with). */
  first: boolean;
  exists: boolean;
  early: EarlyLoad;
  nodes: string[];
  /** The lab images its node image carries, by role. */
  inNodes: NodeImages;
}

/** From nothing (or from a half-broken lab) to clusters with healthy Kafka, Consul and Vault, proven by their clients. */
export async function up(opts: UpOptions): Promise<LabState> {
  const s = withEnvPorts(opts.settings);
  const previous = readState();
  const placement: KafkaPlacement = opts.kafka ?? previous?.kafkaPlacement ?? 'external';
  const count: 1 | 2 = opts.clusters ?? (previous?.second ? 2 : 1);
  if (count === 2 && placement === 'in-cluster') {
    throw new LabError(
      'two clusters share one Kafka outside them (the data centre); an in-cluster broker would live in one of the two',
      'use --kafka external with --clusters 2 (scenario: kafka.placement: external with clusters: 2)',
    );
  }
  const log = join(logsDir(), 'up.log');

  await task('Docker engine', async (t) => {
    const e = await ensureDocker((x) => t.step(x));
    t.detail(`${e.version}${e.how === 'running' ? ', already running' : `, ${e.how}`}`);
  });
  const images = await task('Images', async (t) => {
    t.step('checking');
    const out = await ensureImages({ source: opts.source ?? 'auto', only: ['node', 'kafka', 'consul', 'vault', 'apps'] });
    t.detail(`${out.filter((o) => o.how === 'cached').length}/${out.length} cached`);
    return Object.fromEntries(out.map((o) => [o.name, o.ref]));
  });
  const nodeImages = await task('Node images', async (t) => {
    const n = await ensureNodeImages(images, (x) => t.step(x));
    const what = [...new Set([...n.baked['control-plane'], ...n.baked.worker].map(shortName))];
    t.detail(!bakeEnabled() ? 'plain node image (LAB_BAKE=off)' : `${what.join(', ')} baked in${n.bakedNow.length ? `, ${n.bakedNow.length} step(s) baked now` : ', cached'}`);
    return n;
  });
  const kind = await task('kind', async (t) => {
    const k = await ensureKind((x) => t.step(x));
    t.detail(k);
    return k;
  });

  // A second cluster no longer wanted goes first: its memory is what the remaining one may need.
  const unwanted = secondCluster(s).name;
  if (count === 1 && (await clusterExists(kind, unwanted))) {
    await task(`Cluster ${unwanted} deleted (one cluster wanted)`, () => deleteCluster(kind, unwanted, { logFile: log }));
  }

  const clusters: UpCluster[] = [];
  for (const [i, cs] of wantedClusters(s, count).entries()) {
    let exists = await clusterExists(kind, cs.name);
    if (exists) {
      const n = (await nodeContainers(kind, cs.name)).length;
      // A cluster of another size (left by another checkout, or a crashed run) cannot be reused as is.
      if (n !== cs.workers + 1) {
        await task(`Cluster ${cs.name} has ${n} nodes, this lab wants ${cs.workers + 1}: recreating`, () => deleteCluster(kind, cs.name, { logFile: log }));
        exists = false;
      }
    }
    // kind maps host ports only at creation: a cluster made before the in-cluster option (or with another
    // LAB_KAFKA_IN_CLUSTER_PORT) cannot give the host a path to an in-cluster broker.
    if (exists && placement === 'in-cluster' && !(await controlPlaneForwards(cs.name, NODE_PORTS.kafka, cs.kafkaInClusterHostPort))) {
      await task(`Cluster ${cs.name} does not forward 127.0.0.1:${cs.kafkaInClusterHostPort} to an in-cluster Kafka: recreating`, () => deleteCluster(kind, cs.name, { logFile: log }));
      exists = false;
    }
    // What the nodes' own images carry is known only for a cluster made now: a reused one may run an
    // older node image, so `kind load` checks everything there (it skips what a node already has).
    clusters.push({ s: cs, first: i === 0, exists, early: NO_EARLY_LOAD, nodes: [], inNodes: unbaked(images.node!) });
  }

  // Everything about to be created must fit at once: with two clusters, a second control plane beside the same workers.
  const creating = clusters.filter((c) => !c.exists);
  if (creating.length) {
    const need = labMemoryGiB({
      controlPlanes: creating.length,
      controlPlaneGiB: MEM_GIB(s.controlPlaneMemory),
      workers: creating.reduce((n, c) => n + c.s.workers, 0),
      workerGiB: MEM_GIB(s.nodeMemory),
      kafka: creating.some((c) => c.first),
    });
    const what = creating.map((c) => `${c.s.name} (${c.s.workers + 1} nodes)`).join(' and ');
    requireMemory(need, `${what}${creating.some((c) => c.first) ? ' plus Kafka' : ''}`);
  }

  const local = !(await nodeImageIsUpstream(images.node!));
  for (const c of clusters) {
    await task(`Cluster ${c.s.name}: 1 control plane + ${c.s.workers} workers`, async (t) => {
      if (c.exists) {
        const started = await startStoppedNodes(await nodeContainers(kind, c.s.name));
        t.detail(started.length ? `restarted ${started.join(', ')}` : 'reused');
        return;
      }
      // A broker left from an earlier lab is the lab's own: it is recreated with the lab's first cluster, and its port freed.
      if (c.first) await removeKafkaContainer();
      // The second cluster's ports follow the first's at an offset, so the same variables move them.
      await requirePortsFree(portsToCheck(c.s, c.first), c.first ? '' : `, plus ${SECOND_CLUSTER_PORT_OFFSET} for the second cluster ${c.s.name}`);
      // Imports still running into the cluster made just before would take the cores this kubeadm needs.
      for (const other of clusters) if (other !== c) await other.early.done;
      const cfgFile = join(ensureDir(stateDir), c.first ? 'kind-config.yaml' : `kind-config-${c.s.name}.yaml`);
      writeFileSync(cfgFile, renderKindConfig(kindConfig(c.s, nodeImages.image, local, await engineMemoryBytes())));
      c.inNodes = nodeImages;
      t.step('kind create cluster');
      let failed = false;
      c.early = loadImagesEarly(notBaked(imagePlacement(expectedNodeNames(c.s.name, c.s.workers), images, placement), c.inNodes.baked), {
        deadline: Date.now() + 5 * 60_000,
        aborted: () => failed,
      });
      try {
        await run(kind, ['create', 'cluster', '--name', c.s.name, '--config', cfgFile, '--retain=false'], { logFile: log, timeoutMs: 10 * 60_000 });
      } catch (err) {
        failed = true;
        throw err;
      }
      t.detail('image imports begun while kubeadm ran');
      void c.early.done.then((done) => {
        if (done.skipped.length) appendFileSync(log, `\nearly image import into ${c.s.name} skipped (kind load does these): ${done.skipped.join('; ')}\n`);
      });
    });
    c.nodes = await nodeContainers(kind, c.s.name);
  }

  const allNodes = clusters.flatMap((c) => c.nodes);
  await task('Node containers sized like small VMs', async (t) => {
    await limitNodeContainers(allNodes, s.controlPlaneCpus, s.controlPlaneMemory, s.nodeCpus, s.nodeMemory);
    const cps = clusters.length === 2 ? ' (each cluster)' : '';
    t.detail(`workers ${s.nodeCpus} CPU / ${s.nodeMemory}, control plane${cps} ${s.controlPlaneCpus} CPU / ${s.controlPlaneMemory}`);
  });

  // Kafka boots on its JVM while the images are side-loaded: the two do not depend on each other.
  // An in-cluster broker is deployed with Consul and Vault below; here only the external one goes,
  // and every node of every cluster joins its network: one data centre for all the platforms.
  const kafkaStarting: Promise<{ ep: KafkaEndpoint; subnet?: string }> =
    placement === 'external'
      ? task('Kafka outside the cluster (the data centre network)', async (t) => {
          const subnet = await ensureDcNetwork();
          for (const n of allNodes) await connectNode(n);
          t.step('starting broker');
          const ep = await ensureKafkaContainer(images.kafka!, subnet, s.kafkaHostPort);
          t.step('waiting for the broker');
          await waitForKafka(ep, 3);
          t.detail(`pods: ${ep.internal}, host: ${ep.external}`);
          return { ep, subnet };
        })
      : removeExternalKafka(allNodes).then(() => ({ ep: kafkaInClusterEndpoint(s.kafkaInClusterHostPort) }));
  // Awaited below; this only keeps a failure from surfacing as unhandled while the images load.
  kafkaStarting.catch(() => undefined);

  const workerImages: Promise<unknown>[] = [];
  for (const c of clusters) {
    const k = clients({ clusterName: c.s.name });
    const of = clusters.length > 1 ? ` of ${c.s.name}` : '';
    const toLoad = (targets: string[]) => onNodes(notBaked(imagePlacement(c.nodes, images, placement), c.inNodes.baked), targets);
    // `kind load` is normally a check here: the early import did the work, and it skips what a node has.
    const loadImages = (targets: string[]) =>
      Promise.all(
        toLoad(targets).map(async ({ ref, nodes: on }) => {
          await Promise.all(on.map((n) => c.early.nodeDone(n)));
          await run(kind, ['load', 'docker-image', '--name', c.s.name, '--nodes', on.join(','), ref], { logFile: log, timeoutMs: 10 * 60_000 });
        }),
      );
    const cp = c.nodes.filter((n) => n.endsWith('-control-plane'));
    const loadTitle = (what: string, on: string[]) => {
      const left = toLoad(on).map((x) => shortName(x.ref));
      return left.length ? `${what} images loaded${of} (${left.join(', ')})` : `${what} images${of}: all in the node image`;
    };
    const workers = c.nodes.filter((n) => !cp.includes(n));
    await task(loadTitle('Control-plane', cp), () => loadImages(cp));
    // Only the replay's workload needs the workers' images: they load while Consul and Vault come up.
    const w = task(loadTitle('Worker', workers), () => loadImages(workers));
    w.catch(() => undefined);
    workerImages.push(w);

    await task(placement === 'in-cluster' ? 'Consul (3 servers), Vault and Kafka (StatefulSet) deployed' : `Consul (3 servers) and Vault deployed${of}`, async (t) => {
      const objs = [
        ...loadManifest('base/namespace.yaml'),
        consulConfigMap(opts.consul ?? CONSUL_2019),
        ...loadManifest('consul/servers.yaml'),
        ...loadManifest('vault/vault.yaml'),
        ...(placement === 'in-cluster' ? renderKafkaInCluster(c.s.kafkaInClusterHostPort) : []),
      ];
      await applyAll(k.objects, resolveImages(objs, images));
      // Switching back to the external broker: the in-cluster one goes, so only one Kafka ever runs.
      if (placement === 'external' && (await removeKafkaInCluster(k.objects, k.core))) t.detail('in-cluster Kafka removed');
    });
  }

  for (const c of clusters) {
    const k = clients({ clusterName: c.s.name });
    await task(`Nodes Ready${clusters.length > 1 ? ` (${c.s.name})` : ''}`, async (t) => {
      await waitFor(
        async () => {
          const list = (await k.core.listNode()).items;
          const ready = list.filter(isReady).length;
          t.step(`${ready}/${list.length} Ready`);
          return list.length === c.nodes.length && ready === list.length;
        },
        { timeoutMs: 5 * 60_000, what: `all nodes of ${c.s.name} Ready`, hint: `docker exec ${c.s.name}-worker journalctl -u kubelet | tail` },
      );
    });
  }

  const kafka = await kafkaStarting;
  for (const c of clusters) {
    const of = clusters.length > 1 ? ` (${c.s.name})` : '';
    const ctx = clusters.length > 1 ? `--context ${kubeContextName(c.s.name)} ` : '';
    await task(`${c.first ? 'Kafka, ' : ''}Consul, Vault: round trips through their clients${of}`, async (t) => {
      t.step('Consul leader');
      const consul = consulClient(c.s.consulHostPort);
      await waitFor(async () => (await consulLeader(consul)) || undefined, {
        timeoutMs: 4 * 60_000,
        what: `a Consul leader in ${c.s.name}`,
        hint: `kubectl ${ctx}-n lab logs consul-server-0`,
      });
      const consulMs = await consulKvRoundTrip(consul);
      const members = await memberCounts(consul);
      t.step('Vault');
      const creds = await waitFor(() => ensureVaultUnsealed(c.s.vaultHostPort, c.s.name), {
        timeoutMs: 4 * 60_000,
        what: `Vault of ${c.s.name} to be initialised and unsealed`,
        hint: `kubectl ${ctx}-n lab logs deploy/vault -c vault`,
      });
      const vaultMs = await waitFor(() => vaultKvRoundTrip(c.s.vaultHostPort, creds.rootToken), { timeoutMs: 60_000, what: 'a Vault KV round trip' });
      if (!c.first) {
        t.detail(`Consul KV ${consulMs.toFixed(1)} ms (${members.alive} alive), Vault KV ${vaultMs.toFixed(1)} ms`);
        return;
      }
      if (placement === 'in-cluster') {
        const k = clients({ clusterName: c.s.name });
        await waitForKafkaRollout(k.apps, (x) => t.step(`Kafka: ${x}`));
        t.step('Kafka: topics');
        await waitForKafka(kafka.ep, 3, 120_000, inClusterDiagnosis(k.core, c.s.name));
      }
      t.step('Kafka');
      const kafkaMs = await kafkaRoundTrip(kafka.ep);
      t.detail(`Kafka ${kafkaMs} ms, Consul KV ${consulMs.toFixed(1)} ms (${members.alive} alive), Vault KV ${vaultMs.toFixed(1)} ms`);
    });
  }
  await Promise.all(workerImages);

  const reused = clusters.every((c) => c.exists);
  const state: LabState = {
    settings: s,
    ...(count === 2 ? { second: clusters[1]!.s } : {}),
    images,
    kafkaPlacement: placement,
    kafka: kafka.ep,
    ...(kafka.subnet ? { dcSubnet: kafka.subnet } : {}),
    upAt: previous?.upAt && reused ? previous.upAt : new Date().toISOString(),
  };
  writeState(state);
  return state;
}

/**
 * The loopback ports a new cluster will bind, by the setting that moves them. The broker's port is the
 * first cluster's business (one broker for the lab).
 */
export function portsToCheck(s: ClusterSettings, first: boolean): Record<string, number> {
  return {
    [PORT_ENV.consulHostPort]: s.consulHostPort,
    [PORT_ENV.vaultHostPort]: s.vaultHostPort,
    ...(first ? { [PORT_ENV.kafkaHostPort]: s.kafkaHostPort } : {}),
    [PORT_ENV.kafkaInClusterHostPort]: s.kafkaInClusterHostPort,
  };
}

/** `outage-lab/consul:1.8.7-abc` -> `consul`, for progress lines. */
const shortName = (ref: string) => ref.replace(/^.*\/|:.*$/g, '');

/** The placement narrowed to some nodes; images with none of them left are dropped. */
export function onNodes(placement: EarlyImage[], targets: string[]): EarlyImage[] {
  return placement.map((p) => ({ ...p, nodes: p.nodes.filter((n) => targets.includes(n)) })).filter((p) => p.nodes.length > 0);
}

/** Switching to the in-cluster broker: the external one and its network go, so only one Kafka ever runs. */
async function removeExternalKafka(nodes: string[]): Promise<void> {
  const container = await removeKafkaContainer();
  const network = await detachDcNetwork(nodes);
  if (container || network) info('✔ External Kafka removed (in-cluster Kafka chosen)');
}
