import { appendFileSync, writeFileSync } from 'node:fs';
import { dockerMemoryBytes } from '../util/sizes.ts';
import { join } from 'node:path';
import { engineMemoryBytes, ensureDocker } from '../host/docker.ts';
import { requireMemory } from '../host/resources.ts';
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
import { NODE_PORTS, PORT_ENV, withEnvPorts, type ClusterSettings, type KafkaPlacement } from './settings.ts';
import { readState, writeState, type LabState } from './state.ts';

export interface UpOptions {
  settings: ClusterSettings;
  source?: ImageSource;
  consul?: ConsulTunings;
  /** Where Kafka runs; unset keeps the running lab's choice (external for a new lab). */
  kafka?: KafkaPlacement;
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

/** From nothing (or from a half-broken lab) to a cluster with healthy Kafka, Consul and Vault, proven by their clients. */
export async function up(opts: UpOptions): Promise<LabState> {
  const s = withEnvPorts(opts.settings);
  const placement: KafkaPlacement = opts.kafka ?? readState()?.kafkaPlacement ?? 'external';
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

  let exists = await clusterExists(kind, s.name);
  if (exists) {
    const count = (await nodeContainers(kind, s.name)).length;
    // A cluster of another size (left by another checkout, or a crashed run) cannot be reused as is.
    if (count !== s.workers + 1) {
      await task(`Cluster ${s.name} has ${count} nodes, this lab wants ${s.workers + 1}: recreating`, () => deleteCluster(kind, s.name, { logFile: log }));
      exists = false;
    }
  }
  // kind maps host ports only at creation: a cluster made before the in-cluster option (or with another
  // LAB_KAFKA_IN_CLUSTER_PORT) cannot give the host a path to an in-cluster broker.
  if (exists && placement === 'in-cluster' && !(await controlPlaneForwards(s.name, NODE_PORTS.kafka, s.kafkaInClusterHostPort))) {
    await task(`Cluster ${s.name} does not forward 127.0.0.1:${s.kafkaInClusterHostPort} to an in-cluster Kafka: recreating`, () => deleteCluster(kind, s.name, { logFile: log }));
    exists = false;
  }
  let early: EarlyLoad = NO_EARLY_LOAD;
  // What the nodes' own images carry is known only for a cluster made now: a reused one may run an
  // older node image, so `kind load` checks everything there (it skips what a node already has).
  let inNodes: NodeImages = unbaked(images.node!);
  await task(`Cluster ${s.name}: 1 control plane + ${s.workers} workers`, async (t) => {
    if (exists) {
      const started = await startStoppedNodes(await nodeContainers(kind, s.name));
      t.detail(started.length ? `restarted ${started.join(', ')}` : 'reused');
      return;
    }
    // A broker left from an earlier cluster is the lab's own: it is recreated with the new one, and its port freed.
    await removeKafkaContainer();
    await requirePortsFree({
      [PORT_ENV.consulHostPort]: s.consulHostPort,
      [PORT_ENV.vaultHostPort]: s.vaultHostPort,
      [PORT_ENV.kafkaHostPort]: s.kafkaHostPort,
      [PORT_ENV.kafkaInClusterHostPort]: s.kafkaInClusterHostPort,
    });
    requireMemory(MEM_GIB(s.controlPlaneMemory) + s.workers * MEM_GIB(s.nodeMemory) + 1, `a cluster of ${s.workers + 1} nodes plus Kafka`);
    const local = !(await nodeImageIsUpstream(images.node!));
    const cfgFile = join(ensureDir(stateDir), 'kind-config.yaml');
    writeFileSync(cfgFile, renderKindConfig(kindConfig(s, nodeImages.image, local, await engineMemoryBytes())));
    inNodes = nodeImages;
    t.step('kind create cluster');
    let failed = false;
    early = loadImagesEarly(notBaked(imagePlacement(expectedNodeNames(s.name, s.workers), images, placement), inNodes.baked), {
      deadline: Date.now() + 5 * 60_000,
      aborted: () => failed,
    });
    try {
      await run(kind, ['create', 'cluster', '--name', s.name, '--config', cfgFile, '--retain=false'], { logFile: log, timeoutMs: 10 * 60_000 });
    } catch (err) {
      failed = true;
      throw err;
    }
    t.detail('image imports begun while kubeadm ran');
    void early.done.then((done) => {
      if (done.skipped.length) appendFileSync(log, `\nearly image import skipped (kind load does these): ${done.skipped.join('; ')}\n`);
    });
  });

  const nodes = await nodeContainers(kind, s.name);
  await task('Node containers sized like small VMs', async (t) => {
    await limitNodeContainers(nodes, s.controlPlaneCpus, s.controlPlaneMemory, s.nodeCpus, s.nodeMemory);
    t.detail(`workers ${s.nodeCpus} CPU / ${s.nodeMemory}, control plane ${s.controlPlaneCpus} CPU / ${s.controlPlaneMemory}`);
  });

  // Kafka boots on its JVM while the images are side-loaded: the two do not depend on each other.
  // An in-cluster broker is deployed with Consul and Vault below; here only the external one goes.
  const kafkaStarting: Promise<{ ep: KafkaEndpoint; subnet?: string }> =
    placement === 'external'
      ? task('Kafka outside the cluster (the data centre network)', async (t) => {
          const subnet = await ensureDcNetwork();
          for (const n of nodes) await connectNode(n);
          t.step('starting broker');
          const ep = await ensureKafkaContainer(images.kafka!, subnet, s.kafkaHostPort);
          t.step('waiting for the broker');
          await waitForKafka(ep, 3);
          t.detail(`pods: ${ep.internal}, host: ${ep.external}`);
          return { ep, subnet };
        })
      : removeExternalKafka(nodes).then(() => ({ ep: kafkaInClusterEndpoint(s.kafkaInClusterHostPort) }));
  // Awaited below; this only keeps a failure from surfacing as unhandled while the images load.
  kafkaStarting.catch(() => undefined);

  const c = clients({ clusterName: s.name });
  const toLoad = (targets: string[]) => onNodes(notBaked(imagePlacement(nodes, images, placement), inNodes.baked), targets);
  // `kind load` is normally a check here: the early import did the work, and it skips what a node has.
  const loadImages = (targets: string[]) =>
    Promise.all(
      toLoad(targets).map(async ({ ref, nodes: on }) => {
        await Promise.all(on.map((n) => early.nodeDone(n)));
        await run(kind, ['load', 'docker-image', '--name', s.name, '--nodes', on.join(','), ref], { logFile: log, timeoutMs: 10 * 60_000 });
      }),
    );
  const cp = nodes.filter((n) => n.endsWith('-control-plane'));
  const loadTitle = (what: string, on: string[]) => {
    const left = toLoad(on).map((p) => shortName(p.ref));
    return left.length ? `${what} images loaded (${left.join(', ')})` : `${what} images: all in the node image`;
  };
  const workers = nodes.filter((n) => !cp.includes(n));
  await task(loadTitle('Control-plane', cp), () => loadImages(cp));
  // Only the replay's workload needs the workers' images: they load while Consul and Vault come up.
  const workerImages = task(loadTitle('Worker', workers), () => loadImages(workers));
  workerImages.catch(() => undefined);

  await task(placement === 'in-cluster' ? 'Consul (3 servers), Vault and Kafka (StatefulSet) deployed' : 'Consul (3 servers) and Vault deployed', async (t) => {
    const objs = [
      ...loadManifest('base/namespace.yaml'),
      consulConfigMap(opts.consul ?? CONSUL_2019),
      ...loadManifest('consul/servers.yaml'),
      ...loadManifest('vault/vault.yaml'),
      ...(placement === 'in-cluster' ? renderKafkaInCluster(s.kafkaInClusterHostPort) : []),
    ];
    await applyAll(c.objects, resolveImages(objs, images));
    // Switching back to the external broker: the in-cluster one goes, so only one Kafka ever runs.
    if (placement === 'external' && (await removeKafkaInCluster(c.objects, c.core))) t.detail('in-cluster Kafka removed');
  });

  await task('Nodes Ready', async (t) => {
    await waitFor(
      async () => {
        const list = (await c.core.listNode()).items;
        const ready = list.filter(isReady).length;
        t.step(`${ready}/${list.length} Ready`);
        return list.length === nodes.length && ready === list.length;
      },
      { timeoutMs: 5 * 60_000, what: 'all nodes Ready', hint: `docker exec ${s.name}-worker journalctl -u kubelet | tail` },
    );
  });

  const kafka = await kafkaStarting;
  const probes = await task('Kafka, Consul, Vault: round trips through their clients', async (t) => {
    t.step('Consul leader');
    const consul = consulClient(s.consulHostPort);
    await waitFor(async () => (await consulLeader(consul)) || undefined, {
      timeoutMs: 4 * 60_000,
      what: 'a Consul leader',
      hint: 'kubectl -n lab logs consul-server-0',
    });
    const consulMs = await consulKvRoundTrip(consul);
    const members = await memberCounts(consul);
    t.step('Vault');
    const creds = await waitFor(() => ensureVaultUnsealed(s.vaultHostPort), {
      timeoutMs: 4 * 60_000,
      what: 'Vault to be initialised and unsealed',
      hint: 'kubectl -n lab logs deploy/vault -c vault',
    });
    const vaultMs = await waitFor(() => vaultKvRoundTrip(s.vaultHostPort, creds.rootToken), { timeoutMs: 60_000, what: 'a Vault KV round trip' });
    if (placement === 'in-cluster') {
      await waitForKafkaRollout(c.apps, (x) => t.step(`Kafka: ${x}`));
      t.step('Kafka: topics');
      await waitForKafka(kafka.ep, 3, 120_000, inClusterDiagnosis(c.core, s.name));
    }
    t.step('Kafka');
    const kafkaMs = await kafkaRoundTrip(kafka.ep);
    t.detail(`Kafka ${kafkaMs} ms, Consul KV ${consulMs.toFixed(1)} ms (${members.alive} alive), Vault KV ${vaultMs.toFixed(1)} ms`);
    return { kafkaMs, consulMs, vaultMs };
  });
  void probes;
  await workerImages;

  const state: LabState = {
    settings: s,
    images,
    kafkaPlacement: placement,
    kafka: kafka.ep,
    ...(kafka.subnet ? { dcSubnet: kafka.subnet } : {}),
    upAt: readState()?.upAt && exists ? readState()!.upAt : new Date().toISOString(),
  };
  writeState(state);
  return state;
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
