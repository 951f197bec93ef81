import { down } from '../cluster/down.ts';
import { DEFAULT_CLUSTER, KAFKA_PLACEMENTS, SECOND_CLUSTER_PORT_OFFSET, secondCluster, type KafkaPlacement } from '../cluster/settings.ts';
import { readState, currentSettings, labClusters } from '../cluster/state.ts';
import { componentRows, faultRows, nodeRows, table } from '../cluster/status.ts';
import { up } from '../cluster/up.ts';
import { IMAGE_SOURCES, type ImageSource } from '../images/build.ts';
import { LabError } from '../util/errors.ts';
import { info } from '../ui/progress.ts';
import type { Command } from './types.ts';
import { DEFAULT_RUNTIME, RUNTIME_NAMES, runtimeProvider, type RuntimeName } from '../runtime/index.ts';
import { healOrphans, showJournalWarnings } from './heal.ts';
import { FaultJournal } from '../faults/journal.ts';
import { stateDir } from '../util/paths.ts';
import { describeHolder, LockHeldError } from '../controller/lock.ts';
import { runningController, withLab } from './lock-guard.ts';
import { enterForeign, FOREIGN_OPTIONS, FOREIGN_USAGE } from '../cluster/foreign/consent.ts';
import { foreignUp, openForeignForwards } from '../cluster/foreign/up.ts';
import { foreignDown } from '../cluster/foreign/down.ts';
import { clients } from '../cluster/kube.ts';
import type { ForeignTarget } from '../cluster/foreign/target.ts';

export const upCommand: Command = {
  summary: 'bring up the lab: kind cluster, Kafka (outside it or in it), Consul servers, Vault (idempotent)',
  usage: `lab up [--workers N] [--clusters 1|2] [--kafka external|in-cluster] [--runtime ${RUNTIME_NAMES.join('|')}] [--source auto|pull|build]

  --workers   worker nodes per cluster (default ${DEFAULT_CLUSTER.workers})
  --clusters  1, or 2 clusters (${DEFAULT_CLUSTER.name} and ${secondCluster(DEFAULT_CLUSTER).name}), each with its own control plane,
              Consul servers and Vault, sharing the one external Kafka; unset keeps the running lab's count
  --kafka     where the broker runs: external (a container beside the cluster, default for a new lab) or
              in-cluster (a StatefulSet on the control plane, one cluster only); unset keeps the running lab's choice
  --runtime   every node's container runtime (src/runtime/; it fixes the Kubernetes version too); unset keeps
              the running lab's, ${DEFAULT_RUNTIME} for a new lab. A runtime's node image is built when first needed
  --source    where images come from (see lab images)
${FOREIGN_USAGE}
  --image-registry REG/PATH      with --context: push the lab's images there (else they must be on every node)
  --kafka-bootstrap IP:PORT      with --context: your broker, cut by its address (else the in-cluster one)
Host ports on 127.0.0.1 move with LAB_CONSUL_PORT, LAB_VAULT_PORT, LAB_KAFKA_PORT (external Kafka),
LAB_KAFKA_IN_CLUSTER_PORT (in-cluster Kafka); a second cluster uses each port + ${SECOND_CLUSTER_PORT_OFFSET}.
While another controller (a replay) holds the lab, \`up\` refuses and names it: \`lab heal\` stops it.`,
  options: {
    workers: { type: 'string' },
    clusters: { type: 'string' },
    kafka: { type: 'string' },
    runtime: { type: 'string' },
    source: { type: 'string', default: 'auto' },
    ...FOREIGN_OPTIONS,
    'image-registry': { type: 'string' },
    'kafka-bootstrap': { type: 'string' },
  },
  async run(v) {
    const foreign = await enterForeign(v, () => readState()?.foreign);
    if (foreign) return upForeign(foreign, v);
    for (const f of ['image-registry', 'kafka-bootstrap']) if (v[f] !== undefined) throw new LabError(`--${f} is for a foreign cluster: give --context too`);
    const source = v.source as ImageSource;
    if (!IMAGE_SOURCES.includes(source)) throw new LabError(`--source must be one of ${IMAGE_SOURCES.join(', ')}, got "${source}"`);
    const kafka = v.kafka as KafkaPlacement | undefined;
    if (kafka !== undefined && !KAFKA_PLACEMENTS.includes(kafka)) throw new LabError(`--kafka must be one of ${KAFKA_PLACEMENTS.join(', ')}, got "${kafka}"`);
    const settings = { ...currentSettings() };
    if (v.workers !== undefined) {
      const n = Number(v.workers);
      if (!Number.isInteger(n) || n < 1 || n > 6) throw new LabError(`--workers must be an integer from 1 to 6, got "${String(v.workers)}"`);
      settings.workers = n;
    }
    if (v.runtime !== undefined) settings.runtime = runtimeProvider(String(v.runtime)).name as RuntimeName;
    let clusters: 1 | 2 | undefined;
    if (v.clusters !== undefined) {
      if (v.clusters !== '1' && v.clusters !== '2') throw new LabError(`--clusters must be 1 or 2, got "${String(v.clusters)}"`);
      clusters = Number(v.clusters) as 1 | 2;
    }
    const state = await withLab('up', async () => {
      await healOrphans();
      return up({ settings, source, ...(kafka ? { kafka } : {}), ...(clusters ? { clusters } : {}) });
    });
    for (const c of labClusters(state)) {
      info(`\n✔ Lab ${c.name} is up. Consul http://127.0.0.1:${c.consulHostPort}/ui, Vault http://127.0.0.1:${c.vaultHostPort}`);
    }
    info(`  Kafka ${state.kafka.external} (${state.kafkaPlacement}${state.second ? ', shared by both clusters' : ''})`);
  },
};

/** `lab up --context`: deploy into the consented cluster; the kind-only options do not apply there. */
async function upForeign(target: ForeignTarget, v: Record<string, unknown>): Promise<void> {
  for (const f of ['workers', 'clusters', 'runtime']) if (v[f] !== undefined) throw new LabError(`--${f} shapes a kind cluster; with --context the cluster is yours as it is`);
  if (v.kafka === 'external') throw new LabError('with --context the broker is in-cluster or yours (--kafka-bootstrap IP:PORT); --kafka external is a container on this host');
  const state = await withLab('up', async () => {
    await healOrphans();
    return foreignUp({
      target,
      ...(v['image-registry'] ? { registry: String(v['image-registry']) } : {}),
      ...(v['kafka-bootstrap'] ? { kafkaBootstrap: String(v['kafka-bootstrap']) } : {}),
    });
  });
  info(`\n✔ Lab is up in context ${target.context}. Consul http://127.0.0.1:${state.settings.consulHostPort}/ui and Vault http://127.0.0.1:${state.settings.vaultHostPort} while a lab command runs (port-forwards)`);
  info(`  Kafka ${state.kafka.internal} (${state.kafkaPlacement === 'in-cluster' ? 'in-cluster' : 'yours'})`);
}

export const downCommand: Command = {
  summary: 'remove the lab: its cluster(s), Kafka container, lab networks and state (nothing else)',
  usage: `lab down [--context NAME --i-understand-this-cuts NAME]

With --context: removes what the lab put into that cluster (the fault agent, then every namespace
labelled outage-lab/managed=true) and its state here; the cluster and its nodes stay.
While another controller (a replay) holds the lab, \`down\` refuses and names it: deleting a running
replay's cluster and fault journal would leave it cutting a network nobody tracks. \`lab heal\` stops it.`,
  options: { ...FOREIGN_OPTIONS },
  async run(v) {
    const foreign = await enterForeign(v, () => readState()?.foreign);
    await withLab('down', () => (foreign ? foreignDown(foreign.context) : down(currentSettings().name)), {
      hint: 'stop it first with `npx lab heal` (it heals the network and exits), or wait for it, then run `npx lab down`',
    });
  },
};

export const statusCommand: Command = {
  summary: 'nodes, components and active faults of the running lab',
  usage: `lab status [--context NAME --i-understand-this-cuts NAME]

Reads only while another controller (a replay) holds the lab: names it (pid, run, since) and leaves
its faults to it. Otherwise it first heals faults left by a controller that is gone.`,
  options: { ...FOREIGN_OPTIONS },
  async run(v) {
    const foreign = await enterForeign(v, () => readState()?.foreign);
    const holder = runningController();
    if (holder) process.stdout.write(`Controller\n  ${describeHolder(holder)} is running; \`lab heal\` stops it and heals the network\n\n`);
    const state = readState();
    if (!state) throw new LabError(foreign ? `the lab is not up in context ${foreign.context}` : 'the lab is not up', holder ? 'the running controller may be bringing it up: look again in a minute' : 'run `npx lab up`');
    // Unhealed faults (and journal warnings) come first: status must not show a lab as fine while its network
    // may be cut. Orphans are healed under the lock, never at the same time as a controller that heals them too;
    // a running controller's own faults are its own.
    if (holder) showJournalWarnings(FaultJournal.open(stateDir));
    else {
      await withLab('status', healOrphans).catch((err: unknown) => {
        if (!(err instanceof LockHeldError)) throw err;
      });
    }
    if (foreign) await openForeignForwards(state, clients({ clusterName: state.settings.name }).kc);
    process.stdout.write(`Nodes\n${table(await nodeRows(state))}\n\nComponents\n${table(await componentRows(state))}\n\nActive faults\n${table(faultRows())}\n`);
  },
};
