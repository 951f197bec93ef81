// The recorder's CPU source without Docker (the kubelets' summary API through the API server) against the
// Docker sampler on the same kind nodes at the same moments: the two must roughly agree, or one of them
// measures something else. Uses the lab that is up (10-replay leaves one); brings up the smallest one
// (`lab up --workers 1`) when none is. Run it under the cluster lock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients } from '../../src/cluster/kube.ts';
import { readState } from '../../src/cluster/state.ts';
import type { CpuRecord, RecordInput } from '../../src/history/records.ts';
import { CpuSampler, cpuSamplingSupported, type NodeTarget } from '../../src/recorder/cpu-sampler.ts';
import { KUBELET_SUMMARY_SOURCE, KubeletSummarySampler } from '../../src/recorder/kubelet-summary.ts';
import { median } from '../../src/analysis/stats.ts';
import { capture } from '../../src/util/exec.ts';
import { lab } from './helpers.ts';

/** How far apart the two sources may be for one node over one window and still measure the same thing. */
const FACTOR = 2;
const RUN_MS = 75_000;

test('kubelet summary CPU agrees with the Docker sampler for the same node and window', { timeout: 30 * 60_000 }, async (t) => {
  if (!cpuSamplingSupported()) return t.skip('the Docker sampler needs cgroup v1 accounting on this host; nothing to compare against');
  if (!readState()) {
    const up = await lab(['up', '--workers', '1']);
    assert.equal(up.code, 0, 'lab up --workers 1');
  }
  const state = readState()!;
  const c = clients({ clusterName: state.settings.name });
  const names = (await c.core.listNode()).items.map((n) => n.metadata!.name!).sort();
  const targets: NodeTarget[] = [];
  for (const name of names) targets.push({ name, containerId: await capture('docker', ['inspect', '--format', '{{.Id}}', name]) });

  const recs: CpuRecord[] = [];
  const gaps: RecordInput[] = [];
  const emit = (r: RecordInput) => {
    if (r.type === 'cpu') recs.push({ ...r, ts: r.ts ?? new Date().toISOString(), seq: 0 } as CpuRecord);
    else gaps.push(r);
  };
  const docker = new CpuSampler(targets, emit);
  const kubelet = new KubeletSummarySampler(c.core, emit);
  const until = Date.now() + RUN_MS;
  let tick = 0;
  while (Date.now() < until) {
    docker.sample();
    if (tick++ % 5 === 0) assert.deepEqual(await kubelet.sample(), [], 'every kubelet answered');
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.deepEqual(gaps, [], 'no sampler gaps');

  const bySource = (src: string, node: string, scope: string) => recs.filter((r) => r.source === src && r.node === node && r.scope === scope);
  for (const node of names) {
    const k = bySource(KUBELET_SUMMARY_SOURCE, node, 'node');
    assert.ok(k.length >= 3, `${node}: at least 3 kubelet summary samples in ${RUN_MS / 1000} s (got ${k.length})`);
    const ratios: number[] = [];
    for (const s of k) {
      const end = Date.parse(s.ts);
      const from = end - s.windowMs!;
      // The Docker sampler's 1 s samples that fall in the kubelet's window: its mean is the same quantity.
      const d = bySource('sampler/cpu', node, 'node').filter((r) => Date.parse(r.ts) > from + 1000 && Date.parse(r.ts) <= end);
      if (d.length < Math.floor(s.windowMs! / 1000) / 2) continue;
      const mean = d.reduce((a, r) => a + r.cores, 0) / d.length;
      ratios.push(s.cores / mean);
      process.stderr.write(`${node} ${s.ts} window ${s.windowMs} ms: kubelet ${s.cores.toFixed(3)} cores, docker ${mean.toFixed(3)} (n=${d.length})\n`);
    }
    assert.ok(ratios.length >= 2, `${node}: at least 2 windows covered by both samplers (got ${ratios.length})`);
    const m = median(ratios);
    assert.ok(m >= 1 / FACTOR && m <= FACTOR, `${node}: kubelet/docker node CPU median ratio ${m.toFixed(2)} over ${ratios.length} windows, outside 1/${FACTOR}..${FACTOR}`);
    const parts = new Set(recs.filter((r) => r.source === KUBELET_SUMMARY_SOURCE && r.node === node).map((r) => r.scope));
    process.stderr.write(`${node}: median ratio ${m.toFixed(2)} (n=${ratios.length}); kubelet summary scopes ${[...parts].sort().join(', ')}\n`);
    assert.ok(parts.has('pod'), `${node}: pod CPU from the summary`);
  }
});
