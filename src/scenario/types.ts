// The resolved scenario: what the controller, the cluster scripts, the apps and the report read. Every
// default is filled in and every duration is an integer number of milliseconds (fields end in `Ms`), so
// no consumer parses strings or guesses defaults. Field meanings are documented in lab/scenarios/README.md.
import type { RuntimeName } from '../runtime/index.ts';

export const PHASE_NAMES = ['baseline', 'cut', 'hold', 'restore', 'flood', 'observe', 'remedy'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

export const SHIPPER_MODES = ['naive', 'backoff', 'ratelimited', 'drop-oldest'] as const;
export type ShipperMode = (typeof SHIPPER_MODES)[number];

/** docker-api needs dockerd in the nodes (cluster.runtime docker). */
export const SHIPPER_SOURCES = ['file', 'kubelet-api', 'docker-api'] as const;
export type ShipperSource = (typeof SHIPPER_SOURCES)[number];

export const RETRY_LOG_MODES = ['every', 'throttled', 'off'] as const;
export type RetryLogMode = (typeof RETRY_LOG_MODES)[number];

export type Quantity = string;

export interface ContainerResources {
  requests: { cpu: Quantity | null; memory: Quantity | null };
  limits: { cpu: Quantity | null; memory: Quantity | null };
}

export interface ResolvedPhase {
  name: PhaseName;
  durationMs: number;
  /** Offset from the start of the first phase. */
  startMs: number;
}

export interface ScenarioData {
  name: string;
  description: string;
  variant: 'sidecar' | 'daemonset';
  clusters: 1 | 2;
  cluster: {
    /** The container runtime of every node (src/runtime/); it also fixes the Kubernetes version. */
    runtime: RuntimeName;
    /** Total workers across all clusters (split evenly when clusters = 2). */
    workers: number;
    /** docker --cpus per node container; 'none' = no limit. */
    nodeCpus: number | 'none';
    /** docker --memory per node container, docker syntax ("1536m"); 'none' = no limit. */
    nodeMemory: string | 'none';
    nodeStatusUpdateFrequencyMs: number;
    nodeMonitorGracePeriodMs: number;
    podEvictionTimeoutMs: number;
    /** `node`: workers' kubelets evict against the node container's memory limit, like a VM of that size. */
    kubeletMemory: 'node' | 'host';
    /** kubelet evictionHard thresholds; null = keep kind's. */
    evictionHard: {
      memoryAvailable: string | null;
      nodefsAvailable: string | null;
      imagefsAvailable: string | null;
    };
  };
  workload: {
    /** Total app pods across all clusters. */
    replicas: number;
    logRatePerSec: number;
    logLineBytes: number;
    resources: ContainerResources | 'none';
  };
  shipper: {
    mode: ShipperMode;
    source: ShipperSource;
    /** Failed flush attempts the shippers write to their stdout: each one, throttled, or none. */
    retryLog: RetryLogMode;
    bufferMaxBytes: number;
    bufferMaxLines: number;
    rateLinesPerSec: number;
    batchLines: number;
    backoffInitialMs: number;
    backoffMaxMs: number;
    backoffJitter: boolean;
  };
  consul: {
    /** Always 3: the lab's server StatefulSet has three replicas (other counts are refused). */
    servers: 3;
    leaveOnTerminate: boolean;
    reconnectTimeoutMs: number;
    /** Client agents' advertise_reconnect_timeout; null = not set (servers' reconnectTimeout applies). */
    advertiseReconnectTimeoutMs: number | null;
    /** Always off at the start; `remedy: gossip-encryption` turns it on during a run. */
    gossipEncryption: 'off';
  };
  kafka: {
    placement: 'external' | 'in-cluster';
    partitions: number;
  };
  fault: {
    mode: 'cut' | 'flap';
    via: 'node-exec' | 'agent';
    agentDeadlineMs: number;
    packets: 'drop';
    flap: { upMs: number; downMs: number };
  };
  phases: ResolvedPhase[];
  remedy: { kind: 'gossip-encryption' } | null;
  recorder: {
    samplePeriodMs: number;
    watchHeartbeatMs: number;
  };
  /** Requests through the LB tier; ratePerSec 0 runs none. */
  traffic: {
    ratePerSec: number;
    timeoutMs: number;
    lbServerChecks: boolean;
  };
  recovery: {
    timeoutMs: number;
    latencyTolerance: number;
  };
}

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type ResolvedScenario = DeepReadonly<
  ScenarioData & {
    /** The scenario file as given to loadScenario. */
    file: string;
    /** Variant names applied, in order. */
    variants: string[];
    /** Every file that contributed, scenario first; '--set' for overrides. */
    sources: string[];
    /** Derived: sum of phase durations. */
    totalMs: number;
    /** Derived: what one cluster gets (equal to the totals when clusters = 1). */
    perCluster: { workers: number; replicas: number };
    /** sha256 of the behaviour-relevant content (everything but name, description, file, variants, sources). */
    hash: string;
  }
>;
