// The end of every run, whatever happened: heal, verify, stop recording, close the history, unlock.
import { removeAgentAfterHeal } from '../../../faults/agent-deploy.ts';
import { describeFailures, healJournal } from '../../../faults/runner.ts';
import { info } from '../../../ui/progress.ts';
import type { RunContext } from '../context.ts';

/** The one line a run ends with when the network is not known to be back; the command prints `✔ Network healed` otherwise. */
export function notHealedLine(reason: string): string {
  return `✖ Network NOT verified healed: ${reason}; run npx lab heal`;
}

/**
 * Heal first, observe after: whatever went wrong, the network comes back before anything else. The heal's
 * result is never ignored: a restore that fails (a heal not verified, or a failed flap), or a journal entry
 * left unhealed, fails the run; replay() then throws once the lock is released.
 * Run out of the reach of Ctrl-C (replay.ts): an interrupted run gets here too.
 */
export async function healAndStop(ctx: RunContext): Promise<void> {
  const why: string[] = [];
  if (ctx.driver) await ctx.driver.restore().catch((err: unknown) => void why.push(`restore failed: ${(err as Error).message}`));
  const rest = await healJournal(ctx.journal, 'all').catch((err: unknown) => ({ failed: [{ id: 'journal', fault: '', reason: (err as Error).message }] }));
  if (rest.failed.length) why.push(`not healed: ${describeFailures(rest.failed)}`);
  if (why.length === 0 && ctx.scenario?.fault?.via === 'agent') {
    // The network is verified back: the privileged agent goes with the fault it held.
    await removeAgentAfterHeal(ctx.journal, ctx.clusters[0]?.c).then(
      (line) => line && info(line),
      (err: unknown) => info(`⚠ the fault agent could not be removed (${(err as Error).message}); \`npx lab heal\` removes it`),
    );
  }
  if (why.length) {
    const reason = why.join('; ');
    ctx.network = { verified: false, reason };
    ctx.status = 'failed';
    ctx.history?.append({ type: 'note', source: 'controller', text: `network not verified healed: ${reason}`, level: 'error' });
    info(notHealedLine(reason));
  }
  const { recorder, history } = ctx;
  // Users stop before the recorder so their last seconds land in the history.
  await ctx.users?.stop().catch(() => {});
  if (recorder) {
    await recorder.stop().catch(() => {});
    history?.append({ type: 'kafka', source: 'recorder/final', topic: 'logs', delivered: recorder.delivery.totals() });
  }
  history?.append({ type: 'note', source: 'controller', text: `run ${ctx.status}`, level: ctx.status === 'completed' ? 'info' : 'warn' });
  history?.close();
  ctx.lock.release();
}
