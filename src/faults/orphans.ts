import { info } from '../ui/progress.ts';
import { LabError } from '../util/errors.ts';
import type { FaultContext } from './driver.ts';
import type { FaultJournal } from './journal.ts';
import { describeFailures, healJournal } from './runner.ts';

export const HEAL_OR_DOWN = 'run `npx lab heal` to retry, or `npx lab down` to remove the lab';

/**
 * Run before every command that touches the lab (and by the replay before it starts): faults left by a
 * dead controller are undone first. One that cannot be healed (verified) stops the command: a lab whose
 * network may still be cut is not a lab to measure or report on. Throws a one-line LabError.
 */
export async function healOrphansOrRefuse(journal: FaultJournal, ctx?: FaultContext): Promise<void> {
  journal.reload();
  if (journal.unhealed().length === 0) return;
  const r = await healJournal(journal, 'orphans', ctx);
  if (r.healed.length) info(`✔ Healed ${r.healed.length} fault(s) left behind by a controller that is gone: ${r.healed.join(', ')}`);
  if (r.failed.length) throw new LabError(`✖ ${r.failed.length} fault(s) left by a controller that is gone are NOT healed: ${describeFailures(r.failed)}; ${HEAL_OR_DOWN}`);
}
