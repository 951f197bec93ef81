import { clients } from '../cluster/kube.ts';
import { readState } from '../cluster/state.ts';
import { removeAgentAfterHeal } from '../faults/agent-deploy.ts';
import { FaultJournal } from '../faults/journal.ts';
import { HEAL_OR_DOWN, healOrphansOrRefuse } from '../faults/orphans.ts';
import { describeFailures, healJournal } from '../faults/runner.ts';
import { LabError } from '../util/errors.ts';
import { stateDir } from '../util/paths.ts';
import { info } from '../ui/progress.ts';
import type { Command } from './types.ts';
import { enterForeign, FOREIGN_OPTIONS, FOREIGN_USAGE } from '../cluster/foreign/consent.ts';
import { healLockOptions, takeLabForHeal } from './lock-guard.ts';

/** Damaged or torn journal lines, one line each: a user must know the journal is not whole. */
export function showJournalWarnings(journal: FaultJournal): void {
  for (const w of journal.warnings) info(`⚠ fault journal ${journal.file}: ${w.message}`);
}

/**
 * Run before every command that touches the lab: shows the journal's warnings, heals faults left by a
 * dead controller (verified), and refuses to go on (one line, exit 1) when one stays unhealed.
 */
export async function healOrphans(): Promise<void> {
  const journal = FaultJournal.open(stateDir);
  showJournalWarnings(journal);
  await healOrphansOrRefuse(journal);
}

export const healCommand: Command = {
  summary: 'revert every fault the journal holds (network cuts, ...), whoever applied it, and verify it; exits 1 if any stays',
  usage: `lab heal [--wait SECONDS] [--force] [--context NAME --i-understand-this-cuts NAME]

While another controller holds the lab, heal first stops it: a replay (or up) on this host is sent
SIGINT, heals its own faults and exits; heal waits for that, then heals whatever is left.
  --wait   how long to wait for it to stop (default 120 s); if it has not, heal stops and says so
  --force  kill (SIGKILL) a controller that did not stop within --wait and heal its faults from the
           journal; take the lab over from a controller on another host (only if you know it is gone)
${FOREIGN_USAGE}
           (the kill switch on a foreign cluster: heals what that context's journal holds, removes the agent)`,
  options: { wait: { type: 'string', default: '120' }, force: { type: 'boolean', default: false }, ...FOREIGN_OPTIONS },
  async run(v) {
    await enterForeign(v, () => readState()?.foreign);
    await takeLabForHeal(healLockOptions(v));
    const journal = FaultJournal.open(stateDir);
    showJournalWarnings(journal);
    const pending = journal.unhealed();
    if (pending.length === 0) {
      info('✔ Nothing to heal: the journal holds no active fault');
    } else {
      const r = await healJournal(journal, 'all');
      for (const id of r.healed) info(`✔ healed ${id} (verified)`);
      if (r.failed.length) throw new LabError(`✖ ${r.failed.length} fault(s) NOT healed: ${describeFailures(r.failed)}; ${HEAL_OR_DOWN}`);
    }
    await removeFaultAgent(journal);
  },
};

/** Only after every fault is verified healed: the privileged agent is not left on the cluster. */
async function removeFaultAgent(journal: FaultJournal): Promise<void> {
  const state = readState();
  if (!state) return;
  let c;
  try {
    c = clients({ clusterName: state.settings.name });
  } catch {
    return; // no usable context for the lab's cluster: no agent on it can be asked, nor renewed
  }
  const line = await removeAgentAfterHeal(journal, c).catch((err: unknown) => {
    throw new LabError(`✖ the network is healed, but the fault agent could not be removed: ${(err as Error).message}`, `run \`npx lab heal\` again, or \`npx lab down\``);
  });
  if (line) info(line);
}
