// Stands in for a running replay in the lock tests: takes the lab's lock as `lab replay` does and holds it.
//   cooperative  journals a fault; on SIGINT heals it (journal), releases the lock and exits 0, like a replay
//   stubborn     ignores SIGINT (a controller stuck in a wait it cannot abort)
// Prints "ready" once it holds the lock. LAB_STATE_DIR says where.
import { acquireLock } from '../../../src/controller/lock.ts';
import { FaultJournal } from '../../../src/faults/journal.ts';
import { stateDir } from '../../../src/util/paths.ts';

const mode = process.argv[2];
const runId = 'holder-run';
const lock = acquireLock(stateDir, runId, { command: 'replay' });
const journal = FaultJournal.open(stateDir, { runId });
let id: string | undefined;
if (mode === 'cooperative') {
  id = journal.begin('lock-test-fault', { what: 'nothing: a stand-in' });
  journal.mark(id, 'active');
}
process.on('SIGINT', () => {
  if (mode !== 'cooperative') {
    process.stdout.write('ignoring SIGINT\n');
    return;
  }
  journal.mark(id!, 'healing');
  journal.mark(id!, 'healed', { by: 'the holder itself' });
  lock.release();
  process.stdout.write('healed by the holder\n');
  process.exit(0);
});
setInterval(() => {}, 1000);
process.stdout.write('ready\n');
