// The workload deployed on every cluster and waited for: pods Ready and their agents in the gossip pool.
import { isForeign } from '../../../cluster/foreign/target.ts';
import { forForeignCluster } from '../../../cluster/foreign/up.ts';
import { kubeContextName } from '../../../cluster/settings.ts';
import { applyAll, resolveImages } from '../../../cluster/manifests.ts';
import { memberCounts } from '../../../components/consul.ts';
import { task } from '../../../ui/progress.ts';
import { utcIso } from '../../../util/time.ts';
import { waitFor } from '../../../util/wait.ts';
import { renderWorkload, WORKLOAD_NS } from '../../../workload/render.ts';
import { AGENT_NAME, AGENT_NAMESPACE } from '../../../faults/agent-protocol.ts';
import { deployAgent } from '../../../faults/agent-deploy.ts';
import { KafkaFaultDriver } from '../../kafka-fault.ts';
import { kafkaCutTarget } from '../../kafka-target.ts';
import type { ReplayStep } from '../context.ts';

export const workloadReady: ReplayStep = {
  name: 'workload ready',
  async run(ctx) {
    const { scenario, state } = ctx;
    const perCluster = ctx.split ? ` (${scenario.perCluster.replicas} in each cluster)` : '';
    await task(`Workload: ${scenario.workload.replicas} dev-env pods${perCluster}, ${scenario.variant} variant`, async (t) => {
      const expectedAgents = scenario.variant === 'sidecar' ? scenario.perCluster.replicas : scenario.perCluster.workers;
      const want = scenario.perCluster.replicas + (scenario.variant === 'daemonset' ? scenario.perCluster.workers : 0);
      const progress = new Map<string, string>();
      await Promise.all(
        ctx.clusters.map(async (rc) => {
          const { c, consul } = rc;
          // Every cluster gets the scenario's per-cluster share; all of them ship to the one broker.
          const objs = renderWorkload({
            scenario,
            images: { apps: state.images.apps!, consul: state.images.consul! },
            kafkaBroker: state.kafka.internal,
            consulServers: [0, 1, 2].slice(0, scenario.consul.servers).map((i) => `consul-server-${i}.consul-server.lab.svc.cluster.local`),
          });
          await applyAll(c.objects, isForeign() ? forForeignCluster(resolveImages(objs, {}), true) : resolveImages(objs, {}));
          await waitFor(
            async () => {
              const pods = (await c.core.listNamespacedPod({ namespace: WORKLOAD_NS })).items;
              const ready = pods.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
              const m = await memberCounts(consul).catch(() => undefined);
              progress.set(rc.settings.name, ctx.named(rc, `${ready}/${pods.length} pods ready, pool ${m?.alive ?? '?'} alive`));
              t.step([...progress.values()].join('; '));
              // Pool: the servers, Vault's agent, and one agent per pod (sidecar) or per node (daemonset).
              return ready === want && pods.length === want && m !== undefined && m.alive >= scenario.consul.servers + 1 + expectedAgents;
            },
            {
              timeoutMs: 8 * 60_000,
              intervalMs: 3000,
              what: ctx.named(rc, 'the workload to be Running and its agents in the pool'),
              hint: `kubectl ${ctx.split ? `--context ${kubeContextName(rc.settings.name)} ` : ''}-n ${WORKLOAD_NS} get pods -o wide`,
            },
          );
        }),
      );
    });
    ctx.live.markSteady(utcIso());
    // One cut for every node of every cluster, applied to all of them at once: the data centre's network went for all.
    const nodeNames = ctx.nodes.map((n) => n.name);
    const { via, agentDeadlineMs } = scenario.fault;
    if (via === 'agent') {
      // Before the baseline ends, not at the cut: the cut's moment must not wait for pods to start.
      await task(`Fault agent ready on ${nodeNames.length} nodes (DaemonSet ${AGENT_NAMESPACE}/${AGENT_NAME}, dead-man ${agentDeadlineMs / 1000} s)`, (t) =>
        deployAgent(ctx.first.c, state.images.apps!, agentDeadlineMs, nodeNames, (x) => t.step(x)),
      );
    }
    // The journal's params say which driver cut, so every later heal (this run's, `lab heal`'s) uses it too.
    const how = via === 'agent' ? { via, agentDeadlineMs } : {};
    ctx.driver = new KafkaFaultDriver(ctx.journal, ctx.history!, async () => ({ ...(await kafkaCutTarget(state, nodeNames, ctx.first.c.core)), ...how }));
  },
};
