import { FaultJournal } from '../faults/journal.ts';
import { HEAL_OR_DOWN, healOrphansOrRefuse } from '../faults/orphans.ts';
import { describeFailures, healJournal } from '../faults/runner.ts';
import { LabError } from '../util/errors.ts';
import { stateDir } from '../util/paths.ts';
import { info } from '../ui/progress.ts';
import type { Command } from './types.ts';

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
  usage: 'lab heal',
  options: {},
  async run() {
    const journal = FaultJournal.open(stateDir);
    showJournalWarnings(journal);
    const pending = journal.unhealed();
    if (pending.length === 0) {
      info('✔ Nothing to heal: the journal holds no active fault');
      return;
    }
    const r = await healJournal(journal, 'all');
    for (const id of r.healed) info(`✔ healed ${id} (verified)`);
    if (r.failed.length) throw new LabError(`✖ ${r.failed.length} fault(s) NOT healed: ${describeFailures(r.failed)}; ${HEAL_OR_DOWN}`);
  },
};
