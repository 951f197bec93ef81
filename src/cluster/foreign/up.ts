// `lab up --context`: the lab's components deployed into a cluster someone else runs. No cluster is
// created or deleted, nothing goes through kind or Docker (but the optional push to a registry): the
// preflight says what will be created and cut, then the same manifests as on kind go through the API.
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { CONSUL_2019, consulConfigMap } from '../../components/consul-config.ts';
import { kafkaInClusterEndpoint, renderKafkaInCluster } from '../../components/kafka-in-cluster.ts';
import { DEFAULT_AGENT_DEADLINE_MS } from '../../faults/agent-protocol.ts';
import { info, task } from '../../ui/progress.ts';
import { LabError } from '../../util/errors.ts';
import { logsDir } from '../../util/paths.ts';
import { clients } from '../kube.ts';
import { applyAll, loadManifest, resolveImages, type Obj } from '../manifests.ts';
import { waitNodesReady } from '../nodes.ts';
import { DEFAULT_CLUSTER, withEnvPorts, type ClusterSettings } from '../settings.ts';
import { readState, writeState, type LabState } from '../state.ts';
import { UpContext } from '../up/context.ts';
import { roundTrips } from '../up/steps/round-trips.ts';
import { finalTag } from '../../images/catalog.ts';
import { ensureForwards, forwardsFor } from './forward.ts';
import { assertImagesPresent, foreignImageRefs, pushImages } from './images.ts';
import { preflightLines } from './preflight.ts';
import type { ForeignTarget } from './target.ts';

/** Loopback ports of a foreign lab: apart from the kind lab's, so both can be reached from one host. */
export const FOREIGN_PORT_OFFSET = 30;

export function foreignSettings(previous?: ClusterSettings): ClusterSettings {
  const o = FOREIGN_PORT_OFFSET;
  const base = withEnvPorts(DEFAULT_CLUSTER);
  return {
    ...DEFAULT_CLUSTER,
    ...previous,
    consulHostPort: base.consulHostPort + o,
    vaultHostPort: base.vaultHostPort + o,
    kafkaInClusterHostPort: base.kafkaInClusterHostPort + o,
  };
}

export interface ForeignUpOptions {
  target: ForeignTarget;
  /** Push the lab's images here; unset: they must be on every node already. */
  registry?: string;
  /** The user's broker (`host:port`, host an IPv4 address: the cut is by address); unset: the in-cluster broker. */
  kafkaBootstrap?: string;
  deadlineMs?: number;
}

/** `host:port` with an IPv4 host, or a one-line refusal. */
export function parseBootstrap(value: string): { host: string; port: number } {
  const m = /^([^:]+):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : 0;
  if (!m || !isIPv4(m[1]!) || port < 1 || port > 65535) {
    throw new LabError(`--kafka-bootstrap must be IPV4:PORT (the cut drops packets by address), got "${value}"`);
  }
  return { host: m[1]!, port };
}

/**
 * On a cluster the lab did not make: Consul, Vault and the broker pinned to a control-plane node where one
 * is schedulable, anywhere otherwise (managed clusters have none); images pulled when not present, since
 * nothing side-loads them.
 */
export function forForeignCluster(objs: Obj[], hasControlPlaneNode: boolean): Obj[] {
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.imagePullPolicy === 'Never') o.imagePullPolicy = 'IfNotPresent';
    if (!hasControlPlaneNode && o.nodeSelector && typeof o.nodeSelector === 'object' && 'node-role.kubernetes.io/control-plane' in (o.nodeSelector as object)) delete o.nodeSelector;
    Object.values(o).forEach(walk);
  };
  walk(objs);
  return objs;
}

const CONTROL_PLANE = 'node-role.kubernetes.io/control-plane';

export async function foreignUp(o: ForeignUpOptions): Promise<LabState> {
  const previous = readState();
  const bootstrapArg = o.kafkaBootstrap ?? (previous?.kafkaPlacement === 'external' ? previous.kafka.internal : undefined);
  const bootstrap = bootstrapArg ? parseBootstrap(bootstrapArg) : undefined;
  const settings = foreignSettings(previous?.settings);
  const c = clients({ clusterName: settings.name });
  const nodes = (await c.core.listNode()).items;
  const names = nodes.map((n) => n.metadata?.name ?? '?');
  const registry = o.registry ?? (previous?.images.apps?.startsWith('outage-lab/') === false ? previous.images.apps.split('/outage-lab/')[0] : undefined);
  const images = foreignImageRefs(registry);
  // What this lab runs: every image but the broker's when the broker is the user's.
  const wanted = Object.fromEntries(Object.entries(images).filter(([k]) => k !== 'kafka' || !bootstrap));
  const forwards = forwardsFor(settings, !bootstrap);
  for (const l of preflightLines({
    target: o.target,
    nodes: names,
    kafka: bootstrap ? { placement: 'bootstrap', ...bootstrap } : { placement: 'in-cluster' },
    images: wanted,
    ...(registry ? { registry } : {}),
    deadlineMs: o.deadlineMs ?? DEFAULT_AGENT_DEADLINE_MS,
    forwards,
  }))
    info(l);
  if (o.registry) {
    await task(`Images pushed to ${o.registry}`, () =>
      pushImages(Object.fromEntries(Object.keys(wanted).map((k) => [k, finalTag(k)])), wanted, join(logsDir(), 'push.log')),
    );
  }
  const schedulableControlPlane = (n: k8s.V1Node) => n.metadata?.labels?.[CONTROL_PLANE] !== undefined && !n.spec?.unschedulable;
  const hasControlPlane = nodes.some(schedulableControlPlane);
  if (!registry) assertImagesPresent(nodes, wanted, schedulableControlPlane);
  await task(`Consul (3 servers), Vault${bootstrap ? '' : ' and Kafka (StatefulSet)'} deployed into ${o.target.context}`, async () => {
    const objs = [
      ...loadManifest('base/namespace.yaml'),
      consulConfigMap(CONSUL_2019),
      ...loadManifest('consul/servers.yaml'),
      ...loadManifest('vault/vault.yaml'),
      ...(bootstrap ? [] : renderKafkaInCluster(settings.kafkaInClusterHostPort)),
    ];
    await applyAll(c.objects, forForeignCluster(resolveImages(objs, images), hasControlPlane));
  });
  await task(`Nodes Ready (${o.target.context})`, (t) =>
    waitNodesReady(c.core, { what: `all nodes of ${o.target.context} Ready`, hint: `kubectl --context ${o.target.context} get nodes`, step: (s) => t.step(s) }),
  );
  await ensureForwards(c.kc, forwards);
  const ep = bootstrap ? { internal: `${bootstrap.host}:${bootstrap.port}`, external: `${bootstrap.host}:${bootstrap.port}` } : kafkaInClusterEndpoint(settings.kafkaInClusterHostPort);
  const up = new UpContext({ settings, kafka: bootstrap ? 'external' : 'in-cluster', clusters: 1 });
  up.images = images;
  up.clusters = [{ s: up.s, first: true, exists: true, early: undefined as never, nodes: names, inNodes: undefined as never }];
  up.kafkaStarting = Promise.resolve({ ep });
  await roundTrips.run(up);
  const state: LabState = {
    settings: up.s,
    images,
    kafkaPlacement: bootstrap ? 'external' : 'in-cluster',
    kafka: ep,
    upAt: previous?.upAt ?? new Date().toISOString(),
    foreign: o.target,
  };
  writeState(state);
  return state;
}

/** For commands that talk to Consul, Vault or the in-cluster broker of a foreign lab that is up. */
export async function openForeignForwards(state: LabState, kc: k8s.KubeConfig): Promise<void> {
  await ensureForwards(kc, forwardsFor(state.settings, state.kafkaPlacement === 'in-cluster'));
}
