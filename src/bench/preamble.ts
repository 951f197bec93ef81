// The start the trial benches share (soak-heal.ts, deadman.ts): their options parsed, a lab that is up and
// a journal with nothing left to heal, or one line on stderr and exit 2 before anything is touched.
import { parseArgs } from 'node:util';
import { readState, type LabState } from '../cluster/state.ts';
import { FaultJournal } from '../faults/journal.ts';
import { stateDir } from '../util/paths.ts';

function refuse(message: string): never {
  console.error(message);
  process.exit(2);
}

export interface BenchArgs {
  /** --trials, default `defaultTrials`, and any more string options (name -> default). */
  defaultTrials: number;
  more?: Record<string, string>;
  /** Checks the other options along with --trials: the rule is added to the message, `got` to what it quotes. */
  check?: { ok: (values: Record<string, string>) => boolean; rule: string; got: (values: Record<string, string>) => string };
}

/** --trials (an integer from 1 to 1000) and the bench's own options, then the running lab's state. */
export function benchStart(o: BenchArgs): { values: Record<string, string>; trials: number; state: LabState } {
  const options = Object.fromEntries(
    Object.entries({ trials: String(o.defaultTrials), ...o.more }).map(([name, value]) => [name, { type: 'string' as const, default: value }]),
  );
  const values = parseArgs({ options }).values as Record<string, string>;
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1 || trials > 1000 || (o.check && !o.check.ok(values))) {
    refuse(`--trials must be an integer from 1 to 1000${o.check ? ` and ${o.check.rule}` : ''}, got "${values.trials}"${o.check ? `, ${o.check.got(values)}` : ''}`);
  }
  const state = readState();
  if (!state) refuse('the lab is not up: run `npx lab up --workers 1` first');
  return { values, trials, state };
}

/** Exits 2 when the journal holds unhealed faults: a trial must start from a healed network. */
export function refuseUnhealed(): void {
  const unhealed = FaultJournal.open(stateDir).unhealed();
  if (unhealed.length) refuse(`the journal holds unhealed faults (${unhealed.map((e) => e.id).join(', ')}): run \`npx lab heal\` first`);
}
