// What a replay may do on a cluster the lab does not own. Faults reach its nodes only through the fault
// agent (no `docker exec`), one cluster, and nothing that needs this host's Docker: the users' LB tier
// runs in containers here, and the gossip remedy removes a keyring through node-exec; nor a runtime of
// kind's nodes.
import type { ResolvedScenario } from '../../scenario/index.ts';
import { LabError } from '../../util/errors.ts';

/** The overrides a foreign replay runs with, or a one-line refusal when the user asked for the opposite. */
export function foreignOverrides(overrides: Record<string, unknown> | undefined, placement: 'in-cluster' | 'external'): Record<string, unknown> {
  const via = overrides?.['fault.via'];
  if (via !== undefined && via !== 'agent') throw new LabError(`on a foreign cluster faults go through the fault agent only; --set fault.via=${String(via)} is refused`);
  const p = overrides?.['kafka.placement'];
  if (p !== undefined && p !== placement) {
    throw new LabError(`this foreign lab's broker is ${placement === 'external' ? 'yours (lab up --context … --kafka-bootstrap)' : 'in-cluster'}; --set kafka.placement=${String(p)} is refused`);
  }
  return { ...overrides, 'fault.via': 'agent', 'kafka.placement': placement };
}

export function refuseOnForeign(s: ResolvedScenario): ResolvedScenario {
  const no = (what: string) => new LabError(`on a foreign cluster ${what} is refused`, 'see README, "Run it on your own cluster"');
  if (s.fault.via !== 'agent') throw no(`fault.via: ${s.fault.via}`);
  if (s.clusters !== 1) throw no('clusters: 2 (split clusters are two kind clusters)');
  // cluster.runtime picks the image of kind's nodes; a cluster the lab does not own runs what it runs. The
  // docker runtime would also let shippers mount a node's docker.sock (shipper.source docker-api) that
  // may not be there, and the run would be labelled Docker whatever the nodes are.
  if (s.cluster.runtime === 'docker') throw no('cluster.runtime: docker (it builds kind nodes with Docker; your nodes keep their own runtime)');
  if (s.remedy) throw no(`remedy: ${s.remedy.kind} (it removes a keyring through docker exec)`);
  if (s.traffic.ratePerSec > 0) throw no('traffic (the users\' LB tier runs in containers on this host)');
  return s;
}
