// Benchmark (not a test): from the moment `heal` starts to the moment a pod's TCP connection to Kafka
// succeeds again, seen from inside the pod. Pods and host share one kernel clock, so the two timestamps
// compare directly. Needs a running lab with a workload (after a replay).
import { clients } from '../cluster/kube.ts';
import { readState } from '../cluster/state.ts';
import { FaultJournal } from '../faults/journal.ts';
import { CUT_COMMENT } from '../faults/kafka-network.ts';
import { kafkaCutTarget } from '../controller/kafka-target.ts';
import { applyFault, healEntry } from '../faults/runner.ts';
import { capture } from '../util/exec.ts';
import { stateDir } from '../util/paths.ts';
import { nodeScriptInPod } from './pod-probe.ts';

const state = readState();
if (!state) throw new Error('the lab is not up');
const c = clients({ clusterName: state.settings.name });
const pod = (await c.core.listNamespacedPod({ namespace: 'devenv', labelSelector: 'app=devenv' })).items.find((p) => p.status?.phase === 'Running');
if (!pod) throw new Error('no running devenv pod: run a replay first');
const [host, port] = state.kafka.internal.split(':') as [string, string];
const nodes = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${state.settings.name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
const journal = FaultJournal.open(stateDir, { runId: `bench-heal-${process.pid}` });

function probeUntilOpen(): Promise<number> {
  // Connect attempts every 10 ms, each abandoned after 100 ms; prints the instant the first one succeeds.
  const script = `const net=require('net');const end=Date.now()+30000;(function t(){if(Date.now()>end)process.exit(2);const s=net.connect(${port},'${host}');const k=setTimeout(()=>{s.destroy();setTimeout(t,10)},100);s.on('connect',()=>{console.log(Date.now());process.exit(0)});s.on('error',()=>{clearTimeout(k);setTimeout(t,10)})})()`;
  return nodeScriptInPod(c.kc, { namespace: 'devenv', pod: pod!.metadata!.name!, container: 'app' }, script, (st) => `probe ended: ${st.message}`).then((out) => Number(out.trim()));
}

const samples: { latencyMs: number; healCallMs: number }[] = [];
for (let i = 0; i < 5; i++) {
  const id = await applyFault(journal, 'kafka-cut', { ...(await kafkaCutTarget(state, nodes, c.core)), comment: CUT_COMMENT });
  const opened = probeUntilOpen();
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = Date.now();
  await healEntry(journal, journal.get(id)!);
  const healCallMs = Date.now() - t0;
  const latencyMs = (await opened) - t0;
  samples.push({ latencyMs, healCallMs });
}
const lat = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
console.log(JSON.stringify({ samples, medianMs: lat[2], maxMs: lat[4], target: '< 1000 ms from heal to traffic flowing' }, null, 2));
