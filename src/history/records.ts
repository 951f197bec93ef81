// The history is Jepsen-like: one append-only stream holding everything that happened (faults with
// invoke/ok/fail/info, observations of nodes, pods, Consul, Vault, Kafka, and the recorder's own
// blind spots). Analysis is a pure function of it, so every fact a report states must be a record here.
//
// To add a record type: add an interface extending `Base` with a literal `type`, add it to
// `RecordByType`, and nothing else needs to change (the union and `HistoryRecord` derive from it).

import type { PhaseName } from '../scenario/types.ts';

/** Fields every record carries once written. `ts` and `seq` are filled by the writer. */
export interface Base {
  /** ISO-8601 UTC with milliseconds, of the observation (not of the write, when the two differ). */
  ts: string;
  /** The writer's monotonic counter; breaks ties and shows write order when clocks disagree. */
  seq: number;
  /** Which watcher / sampler / controller part produced the record, e.g. 'watch/pods', 'sampler/cpu'. */
  source: string;
  /**
   * Which cluster the record is about, in a split-cluster run (scenario `clusters: 2`): 0 for the first
   * kind cluster, 1 for the second. Absent in one-cluster runs and on records about the whole lab (phases,
   * the Kafka cut, Kafka itself, the controller's notes): those belong to every cluster.
   */
  cluster?: number;
}

export type { PhaseName };

export interface PhaseRecord extends Base {
  type: 'phase';
  name: PhaseName | (string & {});
  edge: 'start' | 'end';
  /** Index in the scenario's phase list; the same name may appear twice. */
  index?: number;
  plannedMs?: number;
}

/** Fault names the lab knows; open-ended so a new fault does not need this file first. */
export type FaultName = 'kafka-cut' | 'kafka-flap' | 'gossip-encryption' | (string & {});

/** Jepsen's op kinds: invoke before, then ok (done), fail (definitely not done) or info (unknown). */
export type OpKind = 'invoke' | 'ok' | 'fail' | 'info';

export interface FaultRecord extends Base {
  type: 'fault';
  f: FaultName;
  kind: OpKind;
  /** 'inject' | 'heal' | 'flap-up' | 'flap-down' ...: which operation of the fault this is. */
  op?: string;
  /** The journal entry id, so history and journal can be joined. */
  journalId?: string;
  details?: Record<string, unknown>;
  error?: string;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | (string & {});
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface NodeRecord extends Base {
  type: 'node';
  name: string;
  ready: true | false | 'unknown';
  event?: 'added' | 'modified' | 'deleted';
  conditions: NodeCondition[];
  taints: Taint[];
  unschedulable: boolean;
}

export interface PodRecord extends Base {
  type: 'pod';
  ns: string;
  name: string;
  uid: string;
  node?: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | (string & {});
  event: 'added' | 'modified' | 'deleted';
  reason?: string;
  ownerUid?: string;
  ownerName?: string;
  ownerKind?: string;
  deletionTimestamp?: string;
  evicted?: boolean;
  startedAt?: string;
  restarts?: number;
  ready?: boolean;
  /** uid of the pod this one replaced (same owner, created after that one was deleted/evicted): the lineage. */
  replaces?: string;
  /** metadata.creationTimestamp: a pod first seen in a watch's initial list was created before the watch. */
  createdAt?: string;
}

export interface K8sEventRecord extends Base {
  type: 'k8s-event';
  involved: { kind: string; ns?: string; name: string; uid?: string };
  reason: string;
  message: string;
  count?: number;
  eventType?: 'Normal' | 'Warning' | (string & {});
  /** The event's own source (reporting component and host, e.g. 'kubelet/kind-worker2'); named apart from
   *  `source`, which is always the lab part that recorded it. */
  reporter?: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
}

export type CpuScope = 'node' | 'runtime' | 'kubelet' | 'shims' | 'pods' | 'pod' | 'container';

export interface CpuRecord extends Base {
  type: 'cpu';
  scope: CpuScope;
  node: string;
  /** Pod uid / container id / process name when the scope is narrower than the node. */
  id?: string;
  /** What runs in the cgroup when the scope is 'pod' or 'container' ('app', 'shipper', 'consul',
   *  'metrics-agent'...), so analysis can sum CPU per component across pods. */
  component?: string;
  /** Average cores used over the sample window. */
  cores: number;
  memBytes?: number;
  windowMs?: number;
  /** Scope node: share of the window the node container was held back by its CPU limit (cgroup throttling). */
  throttledFraction?: number;
}

export type MemberState = 'alive' | 'leaving' | 'left' | 'failed' | 'suspect';

export interface ConsulMembersRecord extends Base {
  type: 'consul-members';
  counts: Record<MemberState, number>;
  total: number;
  /** The agent (server name or pod) whose view this is; gossip views differ between members. */
  observer: string;
  /** Names of the members in state failed at sample time; lets analysis say how long each one lingered. */
  failed?: string[];
}

/** A Consul server's own telemetry (/v1/agent/metrics): gossip traffic and the server's load. */
export interface ConsulTelemetryRecord extends Base {
  type: 'consul-telemetry';
  observer: string;
  /** Cumulative counters since the agent started (e.g. 'memberlist.udp.sent' bytes, 'memberlist.gossip'
   *  messages); analysis turns them into rates and treats a decrease as a restart. */
  counters: Record<string, number>;
  gauges?: Record<string, number>;
  /** CPU of the server process (cores averaged over the sample window). */
  cpuCores?: number;
}

export interface LatencyBase extends Base {
  op: string;
  /** Present on success. */
  ms?: number;
  /** Present on failure; a failed probe is data, not a gap. */
  error?: string;
  target?: string;
}

export interface ConsulLatencyRecord extends LatencyBase {
  type: 'consul-latency';
}

export interface VaultLatencyRecord extends LatencyBase {
  type: 'vault-latency';
}

/** How long the node's container runtime took to list its containers (src/recorder/runtime-probe.ts). */
export interface RuntimeLatencyRecord extends LatencyBase {
  type: 'runtime-latency';
  node: string;
}

/**
 * A Prometheus histogram as the kubelet exposes it: cumulative counts per upper bound (`le`, seconds),
 * ascending, the +Inf bucket left out (it equals `count`).
 */
export interface HistogramSample {
  buckets: [le: number, cumulative: number][];
  sum: number;
  count: number;
}

/**
 * The kubelet's PLEG metrics as read from its /metrics through the API server's node proxy
 * (src/recorder/kubelet-pleg.ts): how long each relist through the runtime took and how far apart they
 * were. A metric this kubelet does not expose is listed in `absent`, never written as zero.
 */
export interface KubeletPlegRecord extends Base {
  type: 'kubelet-pleg';
  node: string;
  /** kubelet_pleg_relist_duration_seconds. */
  relistDuration?: HistogramSample;
  /** kubelet_pleg_relist_interval_seconds. */
  relistInterval?: HistogramSample;
  /** kubelet_pleg_last_seen_seconds: Unix seconds of the last relist the kubelet's health check counts. */
  lastSeenS?: number;
  /** Metric names looked for and not on the page. */
  absent?: string[];
}

/**
 * One renewal of a node's Lease in kube-node-lease (src/recorder/node-leases.ts): the kubelet's heartbeat
 * the node lifecycle controller reads. Written once per distinct renewTime.
 */
export interface NodeLeaseRecord extends Base {
  type: 'node-lease';
  node: string;
  /** spec.renewTime, ISO with the API's microseconds cut to milliseconds. */
  renewTime: string;
  holder?: string;
  durationS?: number;
  event?: 'added' | 'modified' | 'deleted';
}

/** The source of host-load records and of the host sampler's gaps: written by the recorder, matched by the analysis. */
export const HOST_LOAD_SOURCE = 'sampler/host';

/** One process name's CPU in a host-load record (src/recorder/host-load.ts). */
export interface HostProcessCores {
  /** The process name (comm; for an interpreter such as node or python, with its script's name). */
  name: string;
  /** Average cores over the window, summed over the processes of that name. */
  cores: number;
  /** How many processes of that name used CPU in the window. */
  procs: number;
}

/**
 * What else the machine running the lab was doing (src/recorder/host-load.ts), every 5 s, only when the
 * lab's kind nodes run on this host: the load average, the host's busy cores, and the CPU of processes
 * outside every container and outside the lab's own process tree ("other"), with the top few by name.
 * Cores are averages over the window since the previous record.
 */
export interface HostLoadRecord extends Base {
  type: 'host-load';
  /** /proc/loadavg: 1, 5 and 15 minute load averages. */
  load1: number;
  load5: number;
  load15: number;
  /** CPUs the host has (the cpuN lines of /proc/stat). */
  cpus: number;
  windowMs: number;
  /** Host CPU busy (user, nice, system, irq, softirq; not idle, iowait or steal), in cores. */
  busyCores: number;
  /** Time the hypervisor gave this host's CPUs to others (steal), in cores; absent when none. */
  stealCores?: number;
  /** Processes in a container (the kind nodes, Kafka, any other container). */
  containerCores: number;
  /** The container engine on the host outside containers (dockerd, containerd, shims, docker-proxy, runc). */
  engineCores: number;
  /** Kernel threads. */
  kernelCores: number;
  /** The lab's own process tree: its process, what it started, and the processes that started it. */
  labCores: number;
  /** Every other process: outside any container, not the engine, not the kernel, not the lab. */
  otherCores: number;
  /** The other processes using the most CPU in the window, by name, most first (at most a few). */
  top: HostProcessCores[];
}

export interface VaultHealthRecord extends Base {
  type: 'vault-health';
  initialized: boolean | null;
  sealed: boolean | null;
  standby: boolean | null;
  ms: number;
  error?: string;
  target?: string;
}

export interface KafkaRecord extends Base {
  type: 'kafka';
  topic: string;
  produceMs?: number;
  error?: string;
  /** Messages received per app since the previous record. */
  received?: Record<string, number>;
  /** Consumer lag (messages) at sample time. */
  backlog?: number;
  /** At the end of a run: per pod, distinct lines delivered, duplicates, highest sequence number seen. */
  delivered?: Record<string, { unique: number; duplicates: number; maxSeq: number }>;
  /** Write-to-receive delay of the messages counted in `received` (line timestamp to consumer). */
  delay?: { count: number; p50Ms: number; p99Ms: number; maxMs: number };
}

export interface ShipperRecord extends Base {
  type: 'shipper';
  pod: string;
  node?: string;
  /** Which in-pod program reported: the shipper (default), the dev-env app, or the metrics agent. */
  component?: 'shipper' | 'app' | 'metrics-agent';
  /** The shipper's own counters as it reports them (bufferedLines, bufferedBytes, sent, dropped, retries...). */
  counters: Record<string, number>;
}

/** An app pod's own counters (log_lines_total...): the "written" side of the delivery balance. */
export interface AppRecord extends Base {
  type: 'app';
  pod: string;
  uid?: string;
  node?: string;
  counters: Record<string, number>;
}

export type GapReason =
  | 'watch-410-relist'
  | 'watch-error'
  | 'sampler-error'
  | 'no-events-heartbeat'
  | 'recorder-restart'
  | (string & {});

/** The recorder admits its own blind spots; `source` is the part that was blind. */
export interface GapRecord extends Base {
  type: 'gap';
  from: string;
  /** Absent while the gap is still open. */
  to?: string;
  reason: GapReason;
  /** Record types the gap blinds; absent: the types `source` writes (all types if it wrote none). */
  affects?: RecordType[];
  /** The node the blind part watched, when it watches one node (a CPU sampler). */
  node?: string;
  error?: string;
}

export interface NoteRecord extends Base {
  type: 'note';
  text: string;
  level?: 'info' | 'warn' | 'error';
}

export interface MetaRecord extends Base {
  type: 'meta';
  runId?: string;
  /** Versions of the lab and every component (node image, kafka, consul, vault, apps image...). */
  versions: Record<string, string>;
  scenarioHash?: string;
  scenarioName?: string;
  variants?: string[];
  details?: Record<string, unknown>;
}

/** How a request through the LB failed, as the user would tell it apart (see src/traffic/classify.ts). */
export type TrafficErrorClass = 'refused' | 'timeout' | 'no-backend' | 'dead-backend' | 'http-5xx' | 'other';

/** One second of the load generator's requests through the LB: what the platform's users felt. */
export interface TrafficRecord extends Base {
  type: 'traffic';
  /** Requests started in this second ([ts, ts + 1 s)) whose outcome is known. */
  sent: number;
  ok: number;
  errors: Partial<Record<TrafficErrorClass, number>>;
  /**
   * Requests scheduled in this second that were never sent because the generator itself was stalled (the
   * machine was too busy to run it within LATE_MS of their time): their outcome is unknown, never "ok".
   */
  skipped?: number;
  /** Latency of the successful requests of this second (absent when none succeeded). */
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  target?: string;
}

/** One look at the LB: the config it serves (when rendered) and its servers as HAProxy sees them. */
export interface LbRecord extends Base {
  type: 'lb';
  /** When consul-template last rendered the config HAProxy serves (ISO, from the LB itself). */
  rendered?: string;
  backend: string;
  /** Server names are `<consul node>:<service id>`; address is ip:port. */
  servers?: { name: string; address: string; status: string }[];
  /** Present when the LB could not be read; a failed read is data, not a gap. */
  error?: string;
}

export interface RecordByType {
  phase: PhaseRecord;
  fault: FaultRecord;
  node: NodeRecord;
  pod: PodRecord;
  'k8s-event': K8sEventRecord;
  cpu: CpuRecord;
  'consul-members': ConsulMembersRecord;
  'consul-latency': ConsulLatencyRecord;
  'vault-latency': VaultLatencyRecord;
  'runtime-latency': RuntimeLatencyRecord;
  'kubelet-pleg': KubeletPlegRecord;
  'node-lease': NodeLeaseRecord;
  'host-load': HostLoadRecord;
  'vault-health': VaultHealthRecord;
  kafka: KafkaRecord;
  shipper: ShipperRecord;
  'consul-telemetry': ConsulTelemetryRecord;
  app: AppRecord;
  gap: GapRecord;
  note: NoteRecord;
  meta: MetaRecord;
  traffic: TrafficRecord;
  lb: LbRecord;
}

export type RecordType = keyof RecordByType;
export type HistoryRecord = RecordByType[RecordType];

/** What callers hand the writer: `ts` optional (writer stamps now), `seq` always the writer's. */
type Input<R> = R extends Base ? Omit<R, 'ts' | 'seq'> & { ts?: string } : never;
export type RecordInput = Input<HistoryRecord>;

// A mapped type, so adding a type to RecordByType without listing it here fails to compile.
const KNOWN_TYPES: { [K in RecordType]: true } = {
  phase: true,
  fault: true,
  node: true,
  pod: true,
  'k8s-event': true,
  cpu: true,
  'consul-members': true,
  'consul-latency': true,
  'vault-latency': true,
  'runtime-latency': true,
  'kubelet-pleg': true,
  'node-lease': true,
  'host-load': true,
  'vault-health': true,
  kafka: true,
  shipper: true,
  'consul-telemetry': true,
  app: true,
  gap: true,
  note: true,
  meta: true,
  traffic: true,
  lb: true,
};

export const RECORD_TYPES = Object.freeze(Object.keys(KNOWN_TYPES) as RecordType[]);

export function isRecordType(t: unknown): t is RecordType {
  return typeof t === 'string' && Object.hasOwn(KNOWN_TYPES, t);
}

/** Narrow a record by type, for analysis: `history.filter(ofType('pod'))`. */
export function ofType<T extends RecordType>(t: T): (r: HistoryRecord) => r is RecordByType[T] {
  return (r): r is RecordByType[T] => r.type === t;
}
