import type * as k8s from '@kubernetes/client-node';
import { pollPodStats } from '../../../recorder/pod-stats.ts';
import type { Recorder } from '../../../recorder/recorder.ts';
import { task } from '../../../ui/progress.ts';
import { APP_LABEL, PORTS, WORKLOAD_NS } from '../../../workload/render.ts';
import type { AbortableClock } from '../../clock.ts';
import type { ReplayStep, RunCluster } from '../context.ts';

const DRAIN_TIMEOUT_MS = 90_000;

/** After the last phase (skipped when the run was stopped): every line written so far reaches Kafka. */
export const drainStep: ReplayStep = {
  name: 'drain',
  async run(ctx) {
    if (ctx.clock.aborted) return;
    await task('Drain: every line written so far reaches Kafka', async (t) => {
      const r = await drain(ctx.clusters, ctx.recorder!, ctx.clock, DRAIN_TIMEOUT_MS, (x) => t.step(x), ctx.writtenAtDrain);
      t.detail(r);
      ctx.history!.append({ type: 'note', source: 'controller', text: `drain: ${r}` });
    });
  },
};

/**
 * Takes each running app's lines-written count and waits until Kafka holds every one of those lines.
 * Says how far it got instead of failing: a shipper that cannot drain is a finding.
 */
async function drain(
  clusters: RunCluster[],
  recorder: Recorder,
  clock: AbortableClock,
  timeoutMs: number,
  step: (s: string) => void,
  /** Filled with each pod's count the drain waited for: the apps keep writing after it. */
  writtenAtDrain: Map<string, number>,
): Promise<string> {
  const pods: k8s.V1Pod[] = [];
  for (const rc of clusters) {
    const running = (await rc.c.core.listNamespacedPod({ namespace: WORKLOAD_NS, labelSelector: `app=${APP_LABEL}` })).items.filter((p) => p.status?.phase === 'Running');
    pods.push(...running);
    await pollPodStats(rc.c.core, { namespace: WORKLOAD_NS, selector: `app=${APP_LABEL}`, component: 'app', port: PORTS.app }, () => {}, (pod, counters) =>
      recorder.lastStats.set(`app/${pod}`, counters),
    );
  }
  const targets = pods.map((p) => ({ pod: p.metadata!.name!, written: recorder.lastStats.get(`app/${p.metadata!.name!}`)?.log_lines_total ?? 0 }));
  for (const t of targets) writtenAtDrain.set(t.pod, t.written);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const totals = recorder.delivery.totals();
    const behind = targets.filter((t) => (totals[t.pod]?.maxSeq ?? 0) < t.written);
    step(`${targets.length - behind.length}/${targets.length} pods fully delivered`);
    if (behind.length === 0) return `all ${targets.length} running pods delivered every line written before the drain`;
    if (Date.now() > deadline || clock.aborted) {
      const missing = behind.reduce((s, t) => s + t.written - (totals[t.pod]?.maxSeq ?? 0), 0);
      return `${behind.length}/${targets.length} pods still behind after ${timeoutMs / 1000} s (${missing} lines not yet in Kafka)`;
    }
    await clock.sleep(2000);
  }
}
