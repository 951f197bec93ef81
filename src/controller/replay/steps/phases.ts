// The scenario's phases on the clock. The controller's only actions on the system are here: the Kafka
// cut (or flap), its restore, and the remedy.
import { info } from '../../../ui/progress.ts';
import { formatDuration } from '../../../util/duration.ts';
import type { ReplayStep } from '../context.ts';
import { applyRemedy } from './remedy.ts';

export const phasesOnTheClock: ReplayStep = {
  name: 'phases on the clock',
  async run(ctx) {
    const { scenario, clock } = ctx;
    const history = ctx.history!;
    const driver = ctx.driver!;
    const started = Date.now();
    const cpuAtStart = process.cpuUsage();
    let current = '';
    let currentStarted = 0;
    let currentEnds = 0;
    const ticker = setInterval(() => {
      const left = Math.max(0, currentEnds - Date.now());
      info(`  ${formatDuration(Date.now() - currentStarted)} into ${current} (${formatDuration(left)} left, run ${formatDuration(Date.now() - started)}) · ${ctx.live.line()}`);
    }, 10_000);
    try {
      for (const [index, phase] of scenario.phases.entries()) {
        if (clock.aborted) break;
        history.append({ type: 'phase', source: 'controller', name: phase.name, edge: 'start', index, plannedMs: phase.durationMs });
        info(`▸ ${phase.name}${phase.durationMs ? ` (${formatDuration(phase.durationMs)})` : ''}`);
        current = phase.name;
        currentStarted = Date.now();
        currentEnds = currentStarted + phase.durationMs;
        if (phase.name === 'cut') {
          if (scenario.fault.mode === 'flap') driver.startFlapping(clock, scenario.fault.flap.upMs, scenario.fault.flap.downMs);
          else await driver.cut();
        } else if (phase.name === 'restore') {
          await driver.restore();
        }
        if (phase.name === 'remedy') await applyRemedy(ctx, phase.durationMs);
        else await clock.sleep(phase.durationMs);
        history.append({ type: 'phase', source: 'controller', name: phase.name, edge: 'end', index });
      }
    } finally {
      clearInterval(ticker);
      // The controller's own CPU (recorder included) over the phases: the recorder-overhead benchmark reads it.
      const used = process.cpuUsage(cpuAtStart);
      const wall = Date.now() - started;
      history.append({ type: 'note', source: 'controller', text: `controller cpu ${((used.user + used.system) / 1000 / wall).toFixed(4)} cores over ${wall} ms of phases (samplers ${ctx.o.samplers !== false ? 'on' : 'off'})` });
    }
    if (clock.aborted) ctx.status = 'aborted';
  },
};
