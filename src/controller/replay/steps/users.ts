// The LB tier and its users (src/lb/user-tier.ts), when the scenario sends traffic: started on the ready
// workload so the baseline already carries requests, stopped in heal-and-stop with the recorder.
import { ensureImages } from '../../../images/build.ts';
import { UserTier } from '../../../lb/user-tier.ts';
import { task } from '../../../ui/progress.ts';
import { APP_LABEL } from '../../../workload/render.ts';
import type { ReplayStep } from '../context.ts';

/** The drain and the run's end come after the phases; the load must outlast them but never run unbounded. */
const AFTER_PHASES_MS = 15 * 60_000;

export const startUsers: ReplayStep = {
  name: 'users',
  async run(ctx) {
    const { scenario } = ctx;
    const t = scenario.traffic;
    if (t.ratePerSec === 0 || !ctx.history) return;
    const history = ctx.history;
    await task(`LB tier: consul-template + HAProxy, users at ${t.ratePerSec} requests/s`, async (step) => {
      const [lb] = (await ensureImages({ only: ['lb'], ...(ctx.o.source ? { source: ctx.o.source } : {}) })).filter((i) => i.name === 'lb');
      step.step('starting the LB');
      const users = await UserTier.start({
        image: lb!.ref,
        core: ctx.first.c.core,
        clusterName: ctx.first.settings.name,
        service: APP_LABEL,
        ratePerSec: t.ratePerSec,
        timeoutMs: t.timeoutMs,
        serverChecks: t.lbServerChecks,
        durationMs: scenario.totalMs + AFTER_PHASES_MS,
        samplePeriodMs: scenario.recorder.samplePeriodMs,
        emit: (r) => history.append(r),
      });
      ctx.users = users;
      step.step('waiting for the LB to list every pod');
      const listed = await users.converged(scenario.perCluster.replicas, 90_000);
      if (listed < scenario.perCluster.replicas) {
        history.append({ type: 'note', source: 'lb', text: `LB listed ${listed} of ${scenario.perCluster.replicas} pods when users started`, level: 'warn' });
      }
      users.begin();
      step.detail(`${listed}/${scenario.perCluster.replicas} pods behind the LB`);
    });
  },
};
