import { FaultJournal } from '../faults/journal.ts';
import { healJournal } from '../faults/runner.ts';
import { LabError } from '../util/errors.ts';
import { stateDir } from '../util/paths.ts';
import { info } from '../ui/progress.ts';
import type { Command } from './types.ts';
import { healLockOptions, takeLabForHeal } from './lock-guard.ts';

/** Run before every command that touches the lab: faults left by a dead controller are undone first. */
export async function healOrphans(): Promise<void> {
  const journal = FaultJournal.open(stateDir);
  if (journal.unhealed().length === 0) return;
  const r = await healJournal(journal, 'orphans');
  if (r.healed.length) info(`✔ Healed ${r.healed.length} fault(s) left behind by a controller that is gone: ${r.healed.join(', ')}`);
  if (r.failed.length) info(`✖ Could not heal ${r.failed.join(', ')}: run \`npx lab heal\``);
}

export const healCommand: Command = {
  summary: 'revert every fault the journal holds (network cuts, ...), whoever applied it',
  usage: `lab heal [--wait SECONDS] [--force]

While another controller holds the lab, heal first stops it: a replay (or up) on this host is sent
SIGINT, heals its own faults and exits; heal waits for that, then heals whatever is left.
  --wait   how long to wait for it to stop (default 120 s); if it has not, heal stops and says so
  --force  kill (SIGKILL) a controller that did not stop within --wait and heal its faults from the
           journal; take the lab over from a controller on another host (only if you know it is gone)`,
  options: { wait: { type: 'string', default: '120' }, force: { type: 'boolean', default: false } },
  async run(v) {
    await takeLabForHeal(healLockOptions(v));
    const journal = FaultJournal.open(stateDir);
    const pending = journal.unhealed();
    if (pending.length === 0) {
      info('✔ Nothing to heal: the journal holds no active fault');
      return;
    }
    const r = await healJournal(journal, 'all');
    for (const id of r.healed) info(`✔ healed ${id}`);
    if (r.failed.length) throw new LabError(`could not heal ${r.failed.join(', ')}`, 'see the error above; `npx lab down` removes the whole lab');
  },
};
