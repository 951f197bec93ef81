// Rules that involve more than one field. They run on the resolved values (durations already in ms) and
// blame the field a person would change, with the related fields named in the message.
import { DEFAULT_AGENT_DEADLINE_MS } from '../faults/agent-protocol.ts';
import { formatDuration } from '../util/duration.ts';
import type { RawIssue } from './resolve.ts';
import { MAX_DURATION_MS, MAX_PODS_PER_NODE } from './schema.ts';
import type { PhaseName, ScenarioData } from './types.ts';

type Draft = Omit<ScenarioData, 'phases'> & { phases: { name: PhaseName; durationMs: number | null }[] };

/** Phases that are instants (a network change) and take no time unless given one. */
const INSTANT: ReadonlySet<PhaseName> = new Set(['cut', 'restore']);

export function checkRules(s: Draft): RawIssue[] {
  const issues: RawIssue[] = [];
  const add = (path: (string | number)[], value: unknown, expected: string, problem?: string) =>
    issues.push({ path, value, expected, ...(problem ? { problem } : {}) });

  // ---- phases: the timeline must make sense as a story ------------------------------------------
  const phases = s.phases;
  if (phases.length > 0 && phases[0]!.name !== 'baseline') {
    add(['phases', 0, 'name'], phases[0]!.name, 'baseline', 'the first phase must be baseline (steady state is measured before any fault)');
  }
  let cutAt = -1;
  let restored = false;
  let remedyPhase = -1;
  phases.forEach((p, i) => {
    const at = ['phases', i, 'name'];
    if (p.durationMs === null) {
      if (INSTANT.has(p.name)) p.durationMs = 0;
      else add(['phases', i, 'duration'], undefined, 'a duration like "3m"', `a ${p.name} phase needs a duration`);
    } else if (p.durationMs === 0 && !INSTANT.has(p.name)) {
      add(['phases', i, 'duration'], formatDuration(0), 'a duration > 0', `a ${p.name} phase of zero length observes nothing`);
    }
    if (i > 0 && p.name === 'baseline') add(at, p.name, 'baseline only as the first phase', 'baseline appears twice');
    switch (p.name) {
      case 'cut':
        if (cutAt >= 0) add(at, p.name, `a restore before cutting again`, `Kafka is already cut since phases[${cutAt}]`);
        cutAt = i;
        break;
      case 'restore':
        if (cutAt < 0) add(at, p.name, 'a cut phase earlier in the list', 'restore without a preceding cut');
        cutAt = -1;
        restored = true;
        break;
      case 'hold':
        if (cutAt < 0) add(at, p.name, 'hold only between cut and restore', 'hold is the wait while Kafka is cut');
        break;
      case 'flood':
        if (cutAt >= 0 || !restored) add(at, p.name, 'flood only after a restore', 'the flood is what follows reconnecting Kafka');
        break;
      case 'remedy':
        if (cutAt >= 0) add(at, p.name, 'remedy only after the restore', 'applying a remedy while Kafka is cut mixes two causes');
        if (remedyPhase >= 0) add(at, p.name, 'at most one remedy phase', `a remedy phase already exists at phases[${remedyPhase}]`);
        remedyPhase = i;
        if (!s.remedy) add(at, p.name, 'a `remedy:` section, e.g. remedy: { kind: gossip-encryption }', 'a remedy phase needs a remedy');
        break;
    }
  });
  if (cutAt >= 0) {
    add(['phases', cutAt, 'name'], 'cut', 'a restore phase after it', 'the scenario would end with Kafka still cut');
  }

  // ---- flap: one down and one up period must fit between cut and restore ---------------------------
  // Otherwise the "flap" is a plain cut (the restore interrupts the first down period) and the run
  // would be labelled with timings it never had.
  if (s.fault.mode === 'flap') {
    const { upMs, downMs } = s.fault.flap;
    phases.forEach((p, i) => {
      if (p.name !== 'cut') return;
      const end = phases.findIndex((q, j) => j > i && q.name === 'restore');
      if (end < 0) return; // reported above
      const spanMs = phases.slice(i, end).reduce((sum, q) => sum + (q.durationMs ?? 0), 0);
      if (downMs + upMs > spanMs) {
        add(
          ['fault', 'flap', 'down'],
          formatDuration(downMs),
          spanMs > upMs
            ? `at most ${formatDuration(spanMs - upMs)} so that one down and one up period (flap.up ${formatDuration(upMs)}) fit in the ${formatDuration(spanMs)} between phases[${i}] cut and phases[${end}] restore`
            : `flap.down + flap.up (now ${formatDuration(downMs + upMs)}) at most the ${formatDuration(spanMs)} between phases[${i}] cut and phases[${end}] restore; lengthen the hold`,
          'the flap would never complete one cycle',
        );
      }
    });
  }
  // ---- fault.via: the agent's bound and reach --------------------------------------------------------
  if (s.fault.via === 'agent') {
    if (s.fault.agentDeadlineMs % 1000 !== 0) {
      add(['fault', 'agentDeadline'], formatDuration(s.fault.agentDeadlineMs), 'whole seconds, e.g. "15s"', 'the Lease carries its duration in seconds');
    }
    if (s.clusters === 2) add(['fault', 'via'], 'agent', 'node-exec with clusters: 2', 'the fault agent runs on the first cluster only');
  } else if (s.fault.agentDeadlineMs !== DEFAULT_AGENT_DEADLINE_MS) {
    add(['fault', 'agentDeadline'], formatDuration(s.fault.agentDeadlineMs), 'fault.via: agent, or no agentDeadline', 'the dead-man bound applies only to the agent');
  }
  if (s.remedy && remedyPhase < 0) {
    add(['remedy', 'kind'], s.remedy.kind, 'a phase named remedy in phases', 'a remedy is configured but never applied');
  }
  const total = phases.reduce((t, p) => t + (p.durationMs ?? 0), 0);
  if (total > MAX_DURATION_MS) {
    add(['phases'], formatDuration(total), `phases that add up to at most ${formatDuration(MAX_DURATION_MS)}`, 'the run would last longer than the lab allows');
  }

  // ---- shipper: each mode needs the knob that defines it -----------------------------------------
  const sh = s.shipper;
  if (sh.mode === 'ratelimited' && sh.rateLinesPerSec <= 0) {
    add(['shipper', 'mode'], sh.mode, 'shipper.rateLinesPerSec > 0 with mode ratelimited', 'a rate limit of 0 means none');
  }
  if (sh.mode === 'drop-oldest' && sh.bufferMaxBytes === 0 && sh.bufferMaxLines === 0) {
    add(['shipper', 'mode'], sh.mode, 'shipper.bufferMaxBytes or shipper.bufferMaxLines > 0 with mode drop-oldest', 'an unbounded buffer never drops');
  }
  // dockerd's logs endpoint exists only where dockerd runs the pods; a containerd node has no dockerd.
  if (sh.source === 'docker-api' && s.cluster.runtime !== 'docker') {
    add(
      ['shipper', 'source'],
      sh.source,
      `one of file | kubelet-api with cluster.runtime ${s.cluster.runtime} (docker-api needs cluster.runtime: docker, e.g. --variant docker-runtime)`,
      'the nodes run no dockerd to read logs from',
    );
  }
  if (sh.backoffInitialMs > sh.backoffMaxMs) {
    add(['shipper', 'backoffInitial'], formatDuration(sh.backoffInitialMs), `at most shipper.backoffMax (${formatDuration(sh.backoffMaxMs)})`);
  }

  // ---- cluster ----------------------------------------------------------------------------------
  const c = s.cluster;
  if (c.nodeMonitorGracePeriodMs <= c.nodeStatusUpdateFrequencyMs) {
    add(
      ['cluster', 'nodeMonitorGracePeriod'],
      formatDuration(c.nodeMonitorGracePeriodMs),
      `longer than cluster.nodeStatusUpdateFrequency (${formatDuration(c.nodeStatusUpdateFrequencyMs)}), ideally several times`,
      'every node would flap NotReady between two status updates',
    );
  }
  const perClusterReplicas = s.workload.replicas / s.clusters;
  const perClusterWorkers = c.workers / s.clusters;
  const podsPerNode = perClusterReplicas / perClusterWorkers + (s.variant === 'daemonset' ? 1 : 0);
  if (podsPerNode > MAX_PODS_PER_NODE - 10) {
    // kind's kubelets take 110 pods each, a few of them system pods: the rest would stay Pending until the workload times out.
    add(['workload', 'replicas'], s.workload.replicas, `at most ${(MAX_PODS_PER_NODE - 10) * perClusterWorkers * s.clusters} with ${c.workers} worker(s) (${MAX_PODS_PER_NODE - 10} app pods a node)`, 'more pods than the workers can hold');
  }
  if (s.clusters === 2) {
    if (c.workers % 2 !== 0) add(['cluster', 'workers'], c.workers, 'an even number with clusters: 2 (workers are split evenly)');
    if (s.workload.replicas % 2 !== 0) add(['workload', 'replicas'], s.workload.replicas, 'an even number with clusters: 2 (replicas are split evenly)');
    // Both platforms ship to one data centre's Kafka; a broker inside one cluster would make the clusters unequal.
    if (s.kafka.placement === 'in-cluster') {
      add(['kafka', 'placement'], s.kafka.placement, 'external with clusters: 2', 'two clusters share the one Kafka outside them');
    }
  }
  // ---- traffic: the LB tier exists for one cluster of sidecar pods only, so far -------------------
  if (s.traffic.ratePerSec > 0) {
    // DaemonSet agents listen on 127.0.0.1 of their own pod, so app pods cannot register through them yet.
    if (s.variant === 'daemonset') {
      add(['traffic', 'ratePerSec'], s.traffic.ratePerSec, '0 with variant daemonset', 'not implemented: app pods are not registered through the node agents yet, so the LB would have no backends');
    }
    if (s.clusters === 2) {
      add(['traffic', 'ratePerSec'], s.traffic.ratePerSec, '0 with clusters: 2', 'not implemented: the LB tier generates from one cluster\'s Consul');
    }
  }
  return issues;
}
