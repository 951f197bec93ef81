// Applies and heals the faults the journal holds. "Healed" means verified: the fault says `clear` after
// its heal (for the Kafka cut: every node's rule list read and free of the lab's rules, and a TCP
// connection to Kafka opening from each node's pod network). Anything less (a node that could not be
// asked, a probe that could not run, an API error) leaves the entry `heal-failed` with the reason, and
// the caller gets an error: a heal is never assumed.
import { LabError } from '../util/errors.ts';
import { labFaultContext } from './context.ts';
import { driverOf, type FaultContext } from './driver.ts';
import type { Verdict } from './fault.ts';
import { FaultJournal, isOrphan, type JournalEntry } from './journal.ts';
import { FAULTS } from './registry.ts';

const AGAIN = 'run `npx lab heal` to retry, or `npx lab down` to remove the lab';

/** A heal that could not be verified; the journal entry stays `heal-failed` with `reason`. */
export class HealError extends LabError {
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super(`could not heal fault ${id}: ${reason}`, AGAIN);
  }
}

function faultOf(name: string) {
  const f = FAULTS[name];
  if (!f) throw new LabError(`the journal holds a fault "${name}" this lab does not know`, `known faults: ${Object.keys(FAULTS).join(', ')}`);
  return f;
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Journals the fault durably, then applies it. An apply that fails is healed before the error surfaces;
 * if that heal is not verified, the error says so too (the entry stays `heal-failed` for `lab heal`).
 */
export async function applyFault(journal: FaultJournal, name: string, params: Record<string, unknown>, ctx: FaultContext = labFaultContext()): Promise<string> {
  const fault = faultOf(name);
  const p = fault.params(params);
  if (!p) throw new LabError(`refusing to apply ${name}: its parameters are incomplete (${JSON.stringify(Object.keys(params))})`);
  const id = journal.begin(name, params);
  try {
    await fault.inject(p, ctx);
    journal.mark(id, 'active');
    return id;
  } catch (err) {
    try {
      await healEntry(journal, journal.get(id)!, ctx);
    } catch (healErr) {
      throw new LabError(`${name} failed to apply (${why(err)}) and what it left is not healed: ${why(healErr)}`, AGAIN);
    }
    throw err;
  }
}

/** Heals one journal entry and verifies through the fault that nothing is left in effect; throws HealError otherwise. */
export async function healEntry(journal: FaultJournal, entry: JournalEntry, ctx: FaultContext = labFaultContext()): Promise<void> {
  const fault = faultOf(entry.fault);
  if (entry.state === 'healed') return;
  if (entry.state !== 'healing') journal.mark(entry.id, 'healing');
  const p = fault.params(entry.params);
  let verdict: Verdict;
  let healFailed: string | undefined;
  try {
    if (p) {
      // The verification decides, not the heal's own errors: a rule another heal already removed is fine.
      await fault.heal(p, ctx).catch((err: unknown) => void (healFailed = why(err)));
      verdict = await fault.verify(p, ctx);
    } else {
      // The `applying` line (and with it the params) was lost: undo by what marks the lab's changes.
      verdict = await fault.healWithoutParams(ctx);
    }
  } catch (err) {
    verdict = { presence: 'unknown', detail: why(err) };
  }
  const how = { driver: (p ? driverOf(ctx, entry.params) : ctx.driver).name, ...(p ? {} : { withoutParams: true }) };
  if (verdict.presence === 'clear') {
    journal.mark(entry.id, 'healed', { verified: verdict.detail, ...how });
    return;
  }
  const reason = `${verdict.presence === 'active' ? 'still in effect' : 'not verified'}: ${verdict.detail}${healFailed ? ` (heal: ${healFailed})` : ''}`;
  journal.mark(entry.id, 'heal-failed', { error: reason, presence: verdict.presence, ...how });
  throw new HealError(entry.id, reason);
}

export interface HealFailure {
  id: string;
  fault: string;
  reason: string;
}

export interface HealReport {
  healed: string[];
  failed: HealFailure[];
}

/**
 * Heals what the journal holds: all unhealed faults, or only orphans (owner process gone), which is what
 * every lab command does first so that a killed controller never leaves the network cut for long.
 * Never throws for a fault it could not heal: each is in `failed`, for the caller to refuse to go on.
 */
export async function healJournal(journal: FaultJournal, which: 'all' | 'orphans', ctx: FaultContext = labFaultContext()): Promise<HealReport> {
  journal.reload();
  const report: HealReport = { healed: [], failed: [] };
  for (const entry of journal.unhealed()) {
    if (which === 'orphans' && !isOrphan(entry)) continue;
    try {
      await healEntry(journal, entry, ctx);
      report.healed.push(entry.id);
    } catch (err) {
      report.failed.push({ id: entry.id, fault: entry.fault, reason: err instanceof HealError ? err.reason : why(err) });
    }
  }
  return report;
}

/** One line for a report's failures: what is not healed and why. */
export function describeFailures(failed: readonly HealFailure[]): string {
  return failed.map((f) => `${f.id} (${f.reason})`).join('; ');
}
