// The cluster the scenario asks for: faults left by a dead controller healed, a lab of another shape
// recreated, the previous workload removed, then `lab up` (which repairs whatever else is off).
import { down } from '../../../cluster/down.ts';
import { activeForeign } from '../../../cluster/foreign/target.ts';
import { foreignUp } from '../../../cluster/foreign/up.ts';
import { clients } from '../../../cluster/kube.ts';
import { labClusters, readState } from '../../../cluster/state.ts';
import { up } from '../../../cluster/up.ts';
import { consulClient } from '../../../components/consul.ts';
import { healOrphansOrRefuse } from '../../../faults/orphans.ts';
import { describeScenario, phaseLine } from '../../../scenario/index.ts';
import { info, task } from '../../../ui/progress.ts';
import { clusterSettingsFor, shapeOf } from '../../cluster-for-scenario.ts';
import type { ReplayStep } from '../context.ts';
import { deleteWorkload } from '../workload.ts';

export const prepareCluster: ReplayStep = {
  name: 'prepare cluster',
  async run(ctx) {
    const { scenario } = ctx;
    // Faults a dead controller left are healed first; one that cannot be verified healed stops the run here.
    await healOrphansOrRefuse(ctx.journal);

    info(`▶ ${describeScenario(scenario)}`);
    info(`  ${phaseLine(scenario)}`);
    const foreign = activeForeign();
    if (foreign) {
      await task('Previous workload removed', () => deleteWorkload(clients({ clusterName: foreign.context }).core).catch(() => undefined));
      ctx.state = await foreignUp({ target: foreign, deadlineMs: scenario.fault.agentDeadlineMs });
      const settings = ctx.state.settings;
      ctx.clusters = [{ index: undefined, settings, c: clients({ clusterName: settings.name }), consul: consulClient(settings.consulHostPort) }];
      return;
    }
    const wanted = clusterSettingsFor(scenario, readState()?.settings);
    const existing = readState();
    const runningCount = existing?.second ? 2 : 1;
    if (existing && (shapeOf(existing.settings) !== shapeOf(wanted) || runningCount !== scenario.clusters)) {
      const what = runningCount !== scenario.clusters ? `${runningCount} cluster(s), this scenario wants ${scenario.clusters}` : 'another shape (runtime/workers/timings) than this scenario';
      info(`  the running lab has ${what}: recreating it`);
      await down(existing.settings.name, { keepControllerState: true });
    } else if (existing) {
      // The previous run's workload goes first: shrinking a node's memory under what its pods use hangs.
      await task('Previous workload removed', async () => {
        for (const cs of labClusters(existing)) {
          try {
            await deleteWorkload(clients({ clusterName: cs.name }).core);
          } catch {
            // No cluster or no API: nothing to remove; `up` repairs the rest.
          }
        }
      });
    }
    ctx.state = await up({ settings: wanted, source: ctx.o.source ?? 'auto', kafka: scenario.kafka.placement, clusters: scenario.clusters });
    ctx.clusters = labClusters(ctx.state).map((settings, i) => ({
      index: ctx.split ? i : undefined,
      settings,
      c: clients({ clusterName: settings.name }),
      consul: consulClient(settings.consulHostPort),
    }));
  },
};
