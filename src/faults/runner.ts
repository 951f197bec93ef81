import { LabError } from '../util/errors.ts';
import { FaultJournal, isOrphan, type JournalEntry } from './journal.ts';
import { FAULTS } from './registry.ts';

function faultOf(name: string) {
  const f = FAULTS[name];
  if (!f) throw new LabError(`the journal holds a fault "${name}" this lab does not know`, `known faults: ${Object.keys(FAULTS).join(', ')}`);
  return f;
}

/** Journals the fault durably, then applies it; an apply that fails is undone before the error surfaces. */
export async function applyFault(journal: FaultJournal, name: string, params: Record<string, unknown>): Promise<string> {
  const fault = faultOf(name);
  const id = journal.begin(name, params);
  try {
    await fault.inject(params);
    journal.mark(id, 'active');
    return id;
  } catch (err) {
    await healEntry(journal, journal.get(id)!).catch(() => {});
    throw err;
  }
}

/** Heals one journal entry and verifies through the fault itself that nothing is left in effect. */
export async function healEntry(journal: FaultJournal, entry: JournalEntry): Promise<void> {
  const fault = faultOf(entry.fault);
  if (entry.state !== 'healing') journal.mark(entry.id, 'healing');
  try {
    await fault.heal(entry.params);
    if (await fault.isActive(entry.params)) throw new Error('still in effect after heal');
    journal.mark(entry.id, 'healed');
  } catch (err) {
    journal.mark(entry.id, 'heal-failed', { error: (err as Error).message });
    throw new LabError(`could not heal fault ${entry.id} (${entry.fault}): ${(err as Error).message}`, 'run `npx lab heal` again; `npx lab down` removes the whole lab');
  }
}

export interface HealReport {
  healed: string[];
  failed: string[];
}

/**
 * Heals what the journal holds: all unhealed faults, or only orphans (owner process gone), which is what
 * every lab command does first so that a killed controller never leaves the network cut for long.
 */
export async function healJournal(journal: FaultJournal, which: 'all' | 'orphans'): Promise<HealReport> {
  journal.reload();
  const report: HealReport = { healed: [], failed: [] };
  for (const entry of journal.unhealed()) {
    if (which === 'orphans' && !isOrphan(entry)) continue;
    try {
      await healEntry(journal, entry);
      report.healed.push(entry.id);
    } catch {
      report.failed.push(entry.id);
    }
  }
  return report;
}
