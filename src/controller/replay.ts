import { isForeign } from '../cluster/foreign/target.ts';
import { refuseOnForeign } from '../cluster/foreign/scenario.ts';
import { finalTag, imageExists } from '../images/catalog.ts';
import { loadScenario, type ResolvedScenario } from '../scenario/index.ts';
import { HEAL_OR_DOWN } from '../faults/orphans.ts';
import { LabError } from '../util/errors.ts';
import { interruptible, Interrupted, uninterruptible } from '../util/interrupt.ts';
import { agentConfigRefusal } from '../workload/agent-config.ts';
import { RunContext, type ReplayOptions, type ReplayResult, type ReplayStep } from './replay/context.ts';
import { drainStep } from './replay/steps/drain.ts';
import { freshWorkload } from './replay/steps/fresh-workload.ts';
import { healAndStop } from './replay/steps/heal-and-stop.ts';
import { phasesOnTheClock } from './replay/steps/phases.ts';
import { prepareCluster } from './replay/steps/prepare-cluster.ts';
import { startRecorder } from './replay/steps/start-recorder.ts';
import { workloadReady } from './replay/steps/workload-ready.ts';
import { startUsers } from './replay/steps/users.ts';
import { writeRunFolder } from './replay/steps/write-run-folder.ts';

export type { ReplayOptions, ReplayResult } from './replay/context.ts';
export { notHealedLine } from './replay/steps/heal-and-stop.ts';

/**
 * A replay as named steps sharing one RunContext (replay/context.ts). After them, whatever happened,
 * `healAndStop` (replay/steps/heal-and-stop.ts), then the run folder is completed.
 */
export const REPLAY_STEPS: readonly ReplayStep[] = [prepareCluster, freshWorkload, startRecorder, workloadReady, startUsers, phasesOnTheClock, drainStep];

/**
 * One replay: the cluster the scenario asks for, a fresh workload at steady state, then the phases on a
 * clock. The controller's only actions on the system are the network fault and the remedy; it heals at
 * the end, whatever happened, and a crash is healed by the next `lab` command from the journal.
 */
export function replay(o: ReplayOptions): Promise<ReplayResult> {
  // Ctrl-C and SIGTERM abort every wait of the run (util/interrupt.ts); the end of the run is out of their reach.
  return interruptible((signal) => runReplay(o, signal));
}

/** The scenario, refused before any cluster work if the lab's Consul cannot run its agents (they would crash-loop until the workload times out). */
async function openScenario(o: ReplayOptions): Promise<ResolvedScenario> {
  const scenario = loadScenario(o.scenarioFile, { variants: o.variants, ...(o.overrides ? { overrides: o.overrides } : {}) });
  // A foreign cluster's images are not this host's: what its Consul can run was checked where they were built.
  if (isForeign()) return refuseOnForeign(scenario);
  const consulImage = finalTag('consul');
  const refused = (await imageExists(consulImage)) ? await agentConfigRefusal(scenario, consulImage) : null;
  if (refused) throw new LabError(`scenario: ${refused}`, 'drop that setting (or the variant that sets it); this Consul cannot run it');
  return scenario;
}

async function runReplay(o: ReplayOptions, signal: AbortSignal): Promise<ReplayResult> {
  const ctx = new RunContext(o, await openScenario(o));
  const onAbort = () => ctx.clock.abort(signal.reason instanceof Interrupted ? signal.reason.signalName : 'aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  let step = '';
  try {
    for (const s of REPLAY_STEPS) {
      step = s.name;
      await s.run(ctx);
    }
  } catch (err) {
    if (err instanceof Interrupted) {
      // Stopped by the user: once the phases began, what was recorded is an aborted run with a report;
      // before that (cluster, workload) there is nothing to show, and the command ends with one line.
      ctx.status = 'aborted';
      ctx.history?.append({ type: 'note', source: 'controller', text: `run stopped: ${err.message} at step "${step}"`, level: 'warn' });
      if (!ctx.driver) throw err.where ? err : new Interrupted(err.signalName, `lab replay, step "${step}"`);
    } else {
      ctx.status = 'failed';
      ctx.history?.append({ type: 'note', source: 'controller', text: `run failed: ${(err as Error).message}`, level: 'error' });
      throw err;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // An interrupted run still heals, stops its recorder and lets go of the lock.
    await uninterruptible(() => healAndStop(ctx));
  }
  // Said in its own line when the run ended (✖ Network NOT verified healed); the run is failed, never "✔ Network healed".
  if (!ctx.network.verified) throw new LabError(`run ${ctx.runId} failed: the network is not verified healed`, HEAL_OR_DOWN);
  const delivery = writeRunFolder(ctx);
  return { runDir: ctx.runDir, scenario: ctx.scenario, status: ctx.status, network: ctx.network, delivery };
}
