// The controller the heal soak kills (see soak-heal.ts): it holds the controller lock and the journal as a
// replay does, cuts Kafka (`cut`), makes it flap (`flap UP DOWN`) or cuts through the fault agent
// (`agent-cut DEADLINE`, for deadman.ts), says so on stdout, and then waits to be killed. Everything it leaves behind must be healed by the next `lab` command alone.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clients } from '../cluster/kube.ts';
import { readState } from '../cluster/state.ts';
import { AbortableClock } from '../controller/clock.ts';
import { KafkaFaultDriver } from '../controller/kafka-fault.ts';
import { kafkaCutTarget } from '../controller/kafka-target.ts';
import { acquireLock } from '../controller/lock.ts';
import { FaultJournal } from '../faults/journal.ts';
import { HistoryWriter } from '../history/writer.ts';
import { capture } from '../util/exec.ts';
import { stateDir } from '../util/paths.ts';

const [mode, up, down] = process.argv.slice(2);
const state = readState();
if (!state) throw new Error('the lab is not up');
const runId = `soak-${process.pid}`;
acquireLock(stateDir, runId);
const journal = FaultJournal.open(stateDir, { runId });
const history = HistoryWriter.open(join(tmpdir(), `outage-lab-soak-${process.pid}.jsonl`));
const core = clients({ clusterName: state.settings.name }).core;
// `agent-cut` (bench:deadman) goes through the fault agent the bench deployed: no Docker in this process.
const viaAgent = mode === 'agent-cut';
const nodes = viaAgent
  ? (await core.listNode()).items.map((n) => n.metadata!.name!)
  : (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${state.settings.name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
const how = viaAgent ? { via: 'agent' as const, agentDeadlineMs: Number(up) } : {};
const driver = new KafkaFaultDriver(journal, history, async () => ({ ...(await kafkaCutTarget(state, nodes, core)), ...how }));
if (mode === 'flap') {
  driver.startFlapping(new AbortableClock(), Number(up), Number(down));
  // Ready once the first cut is in place: the kill then lands somewhere in the cycles that follow.
  while (!driver.active) await new Promise((r) => setTimeout(r, 20));
} else {
  await driver.cut();
}
process.stdout.write(`ready ${Date.now()}\n`);
setInterval(() => {}, 1 << 30);
