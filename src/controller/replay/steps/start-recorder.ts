// The run folder's first files and the history, then the recorder on every node, pod and component.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCredentials } from '../../../components/vault.ts';
import { isForeign } from '../../../cluster/foreign/target.ts';
import { HistoryWriter } from '../../../history/writer.ts';
import type { NodeTarget } from '../../../recorder/cpu-sampler.ts';
import { Recorder } from '../../../recorder/recorder.ts';
import { runtimeProvider } from '../../../runtime/index.ts';
import { capture } from '../../../util/exec.ts';
import { uninterruptible } from '../../../util/interrupt.ts';
import { APP_LABEL, PORTS, WORKLOAD_NS } from '../../../workload/render.ts';
import { LiveStatus } from '../../live-status.ts';
import type { ReplayStep, RunContext } from '../context.ts';

function versions(images: Record<string, string>, consulVersion: string, vaultVersion: string): Record<string, string> {
  return { lab: '0.1.0', node: process.version, ...Object.fromEntries(Object.entries(images).map(([k, v]) => [`image:${k}`, v])), consul: consulVersion, vault: vaultVersion };
}

/** scenario.json, history.jsonl, versions.json and the history's meta record. */
async function openHistory(ctx: RunContext): Promise<HistoryWriter> {
  const { runDir, scenario, state } = ctx;
  writeFileSync(join(runDir, 'scenario.json'), `${JSON.stringify(scenario, null, 2)}\n`);
  const history = HistoryWriter.open(join(runDir, 'history.jsonl'));
  ctx.history = history;
  ctx.o.onRunDir?.(runDir);
  ctx.live = new LiveStatus();
  history.subscribe(ctx.live.observe);
  const self = (await ctx.first.consul.agent.self()) as unknown as { Config?: { Version?: string } };
  const vaultVersion = isForeign() ? '' : await capture('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.version"}}', state.images.vault!]).catch(() => '');
  const vers = versions(state.images, self.Config?.Version ?? '?', vaultVersion || (state.images.vault ?? '?'));
  writeFileSync(join(runDir, 'versions.json'), `${JSON.stringify(vers, null, 2)}\n`);
  // A split run lists its clusters: the analysis names them, and knows there were two even if one stayed silent.
  const clusterList = ctx.split ? { clusters: ctx.clusters.map((rc) => ({ index: rc.index, name: rc.settings.name, consulHostPort: rc.settings.consulHostPort, vaultHostPort: rc.settings.vaultHostPort })) } : {};
  history.append({ type: 'meta', source: 'controller', runId: ctx.runId, versions: vers, scenarioHash: scenario.hash, scenarioName: scenario.name, variants: [...scenario.variants], details: { cluster: state.settings, kafkaPlacement: state.kafkaPlacement, ...clusterList } });
  return history;
}

/** Every node container of every cluster, by kind's label. */
async function nodeTargets(ctx: RunContext): Promise<NodeTarget[]> {
  // A foreign cluster's nodes are not containers here: named by the API server, with no container to read.
  if (isForeign()) return (await ctx.first.c.core.listNode()).items.map((n) => ({ name: n.metadata!.name!, containerId: '' }));
  const nodes: NodeTarget[] = [];
  for (const rc of ctx.clusters) {
    const names = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${rc.settings.name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
    for (const name of names) nodes.push({ name, containerId: await capture('docker', ['inspect', '--format', '{{.Id}}', name]), ...(rc.index !== undefined ? { cluster: rc.index } : {}) });
  }
  return nodes;
}

export const startRecorder: ReplayStep = {
  name: 'recorder start',
  async run(ctx) {
    const { scenario, state } = ctx;
    const history = await openHistory(ctx);
    ctx.nodes = await nodeTargets(ctx);
    const shipper = scenario.variant === 'sidecar' ? `app=${APP_LABEL}` : 'app=node-agents';
    const recorder = new Recorder({
      runId: ctx.runId,
      history,
      clusters: ctx.clusters.map((rc) => ({
        ...(rc.index !== undefined ? { index: rc.index } : {}),
        name: rc.settings.name,
        clients: rc.c,
        consulPort: rc.settings.consulHostPort,
        vaultPort: rc.settings.vaultHostPort,
        vaultToken: loadCredentials(rc.settings.name)?.rootToken,
      })),
      nodes: ctx.nodes,
      podNamespaces: [WORKLOAD_NS, 'lab'],
      samplePeriodMs: scenario.recorder.samplePeriodMs,
      statsPeriodMs: Math.max(5000, scenario.recorder.samplePeriodMs),
      kafkaBroker: state.kafka.external,
      statsTargets: [
        { namespace: WORKLOAD_NS, selector: shipper, component: 'shipper', port: PORTS.shipper },
        { namespace: WORKLOAD_NS, selector: `app=${APP_LABEL}`, component: 'app', port: PORTS.app },
      ],
      samplers: ctx.o.samplers !== false,
      // On a foreign cluster the host sees no node: CPU from the kubelets, and no runtime probe (docker exec).
      ...(isForeign() ? { cpuSources: ['kubelet'] as const } : { runtime: runtimeProvider(state.settings.runtime) }),
    });
    ctx.recorder = recorder;
    // The recorder's loops outlive an interruption (they record the heal); `recorder.stop()` ends them.
    await uninterruptible(() => recorder.start());
  },
};
