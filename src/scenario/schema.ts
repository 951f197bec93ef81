// The scenario schema as data: one place that says which fields exist, their types, limits and
// defaults. The resolver (resolve.ts) walks it; rules that involve several fields live in rules.ts.
// Durations are written as strings ("90s") and resolve to `<field>Ms` integers.
import { PHASE_NAMES, RETRY_LOG_MODES, SHIPPER_MODES, SHIPPER_SOURCES } from './types.ts';
import { DEFAULT_RUNTIME, RUNTIME_NAMES } from '../runtime/index.ts';

/**
 * `fixed`: the lab cannot honour another value yet; only the default is accepted and anything else is
 * refused with this reason (a setting that silently did nothing was a finding about nothing).
 */
export type Spec = (
  | { kind: 'string'; default?: string; required?: boolean; pattern?: RegExp; expect?: string }
  /** `withdrawn`: values once accepted that the lab does not implement, each with the reason it gives. */
  | { kind: 'enum'; values: readonly (string | number)[]; default?: string | number; required?: boolean; withdrawn?: Readonly<Record<string, string>> }
  | { kind: 'int'; min?: number; max?: number; default?: number; required?: boolean }
  | { kind: 'number'; min?: number; max?: number; exclusiveMin?: boolean; default?: number; required?: boolean }
  | { kind: 'bool'; default?: boolean; required?: boolean }
  /** `default: null` means "absent resolves to null" (the rules decide). */
  | { kind: 'duration'; min?: number; max?: number; minWhy?: string; default?: string | null; required?: boolean }
  /** `optional`: absent resolves to null instead of an object of defaults. */
  | { kind: 'object'; fields: Record<string, Spec>; optional?: boolean; required?: boolean }
  | { kind: 'list'; item: Spec; minItems?: number; required?: boolean }
  /** The literal string 'none', or a value of `spec`. `default: 'none'` or leave to `spec`'s default. */
  | { kind: 'noneOr'; spec: Spec; defaultNone?: boolean; noneAs?: null | 'none' }
) & { fixed?: string; /** One line for the JSON Schema's description (editor hover). */ doc?: string };

/**
 * Every duration is capped: Node timers overflow above 2^31-1 ms (a "30d" hold fired after 3 ms), and no
 * run of this lab is meant to last a day. Durations that never become a timer (Consul settings) say their own max.
 */
export const MAX_DURATION_MS = 24 * 3_600_000;
/** Pods per node kind's kubelets accept (kubelet --max-pods default). */
export const MAX_PODS_PER_NODE = 110;

// Kubernetes quantities: "100m", "0.5", "64Mi", "1G".
const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
// A percentage is of the node's capacity: 0-100 (kubelet refuses more, and 150% would evict at once).
const QUANTITY_OR_PERCENT = /^((\d+(\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?|(100(\.0+)?|\d{1,2}(\.\d+)?)%)$/;
// docker --memory: a positive integer with an optional b, k, m or g unit.
const DOCKER_MEMORY = /^[1-9]\d*[bkmgBKMG]?$/;

const quantity = (expect: string): Spec => ({ kind: 'string', pattern: QUANTITY, expect });
const threshold: Spec = {
  kind: 'noneOr',
  noneAs: null,
  defaultNone: true,
  spec: { kind: 'string', pattern: QUANTITY_OR_PERCENT, expect: 'a quantity like "100Mi" or a percentage from 0% to 100% like "5%"' },
};
const resourcePair: Spec = {
  kind: 'object',
  fields: {
    cpu: { kind: 'noneOr', noneAs: null, defaultNone: true, spec: quantity('a CPU quantity like "100m" or "0.5"') },
    memory: { kind: 'noneOr', noneAs: null, defaultNone: true, spec: quantity('a memory quantity like "64Mi"') },
  },
};

export const SCENARIO_SPEC: Spec = {
  kind: 'object',
  fields: {
    name: {
      kind: 'string',
      required: true,
      pattern: /^[a-z0-9][a-z0-9-]{0,62}$/,
      expect: 'a lowercase name of letters, digits and dashes (it becomes part of the run folder)',
    },
    description: { kind: 'string', default: '' },
    variant: { kind: 'enum', values: ['sidecar', 'daemonset'], default: 'sidecar' },
    clusters: { kind: 'enum', values: [1, 2], default: 1 },
    cluster: {
      kind: 'object',
      fields: {
        runtime: { kind: 'enum', values: RUNTIME_NAMES, default: DEFAULT_RUNTIME },
        workers: { kind: 'int', min: 1, max: 12, default: 3 },
        nodeCpus: { kind: 'noneOr', noneAs: 'none', spec: { kind: 'number', min: 0, exclusiveMin: true, max: 64, default: 0.5 } },
        nodeMemory: {
          kind: 'noneOr',
          noneAs: 'none',
          spec: { kind: 'string', pattern: DOCKER_MEMORY, expect: 'a docker memory size like "1536m" or "2g"', default: '2g' },
        },
        nodeStatusUpdateFrequency: { kind: 'duration', min: 1_000, default: '10s' },
        nodeMonitorGracePeriod: { kind: 'duration', min: 1_000, default: '40s' },
        podEvictionTimeout: { kind: 'duration', min: 0, default: '300s' },
        kubeletMemory: { kind: 'enum', values: ['node', 'host'], default: 'node' },
        evictionHard: {
          kind: 'object',
          fields: { memoryAvailable: threshold, nodefsAvailable: threshold, imagefsAvailable: threshold },
        },
      },
    },
    workload: {
      kind: 'object',
      fields: {
        replicas: { kind: 'int', min: 1, max: 2000, default: 30 },
        logRatePerSec: { kind: 'number', min: 0, max: 100_000, default: 20 },
        logLineBytes: { kind: 'int', min: 16, max: 1_048_576, default: 256 },
        resources: {
          kind: 'noneOr',
          noneAs: 'none',
          defaultNone: true,
          spec: { kind: 'object', fields: { requests: resourcePair, limits: resourcePair } },
        },
      },
    },
    shipper: {
      kind: 'object',
      fields: {
        mode: { kind: 'enum', values: SHIPPER_MODES, default: 'naive' },
        source: {
          kind: 'enum',
          values: SHIPPER_SOURCES,
          default: 'file',
          doc: 'where shippers read logs: file (tail /var/log/pods), kubelet-api (the logs API, through the kubelet), docker-api (dockerd\'s logs endpoint; cluster.runtime docker only)',
        },
        retryLog: {
          kind: 'enum',
          values: RETRY_LOG_MODES,
          default: 'every',
          doc: 'shippers\' own failed flushes on their stdout, which the runtime copies: every attempt, throttled (one a 5 s per error), or off',
        },
        bufferMaxBytes: { kind: 'int', min: 0, max: 64 * 1024 ** 3, default: 0 },
        bufferMaxLines: { kind: 'int', min: 0, max: 1_000_000_000, default: 0 },
        rateLinesPerSec: { kind: 'number', min: 0, max: 1_000_000, default: 0 },
        batchLines: { kind: 'int', min: 1, max: 100_000, default: 500 },
        backoffInitial: { kind: 'duration', min: 1, default: '200ms' },
        backoffMax: { kind: 'duration', min: 1, default: '30s' },
        backoffJitter: { kind: 'bool', default: true },
      },
    },
    consul: {
      kind: 'object',
      fields: {
        servers: {
          kind: 'enum',
          values: [3],
          default: 3,
          withdrawn: {
            1: 'the lab always runs 3 Consul servers (manifests/consul/servers.yaml); other counts are not implemented',
            5: 'the lab always runs 3 Consul servers (manifests/consul/servers.yaml); other counts are not implemented',
          },
        },
        leaveOnTerminate: { kind: 'bool', default: false },
        reconnectTimeout: {
          kind: 'duration',
          min: 8 * 3_600_000,
          minWhy: 'Consul refuses a reconnect_timeout below 8h; use advertiseReconnectTimeout for short ones',
          default: '72h',
          // A Consul setting, never a timer of the lab's.
          max: 8760 * 3_600_000,
        },
        advertiseReconnectTimeout: { kind: 'noneOr', noneAs: null, defaultNone: true, spec: { kind: 'duration', min: 1_000 } },
        gossipEncryption: {
          kind: 'enum',
          values: ['off'],
          default: 'off',
          withdrawn: {
            'on-from-start':
              'not implemented: the lab creates no gossip key before the agents start (use remedy: { kind: gossip-encryption } to turn encryption on during a run)',
          },
        },
      },
    },
    kafka: {
      kind: 'object',
      fields: {
        placement: { kind: 'enum', values: ['external', 'in-cluster'], default: 'external' },
        partitions: { kind: 'int', min: 1, max: 256, default: 3, fixed: '`lab up` creates the topic with 3 partitions whatever the scenario says' },
      },
    },
    fault: {
      kind: 'object',
      fields: {
        mode: { kind: 'enum', values: ['cut', 'flap'], default: 'cut' },
        via: {
          kind: 'enum',
          values: ['node-exec', 'agent'],
          default: 'node-exec',
          doc: 'how the rules reach the nodes: node-exec (docker exec into the kind nodes) or agent (a privileged DaemonSet driven by a Lease, with a dead-man switch)',
        },
        agentDeadline: {
          kind: 'duration',
          min: 10_000,
          max: 600_000,
          default: '15s',
          doc: 'via agent: if the controller stops renewing its Lease for this long, every agent removes the lab rules (whole seconds)',
        },
        packets: { kind: 'enum', values: ['drop'], default: 'drop', withdrawn: { reject: 'not implemented: the cut always drops packets (iptables -j DROP)' } },
        flap: {
          kind: 'object',
          fields: {
            up: { kind: 'duration', min: 1_000, default: '20s' },
            down: { kind: 'duration', min: 1_000, default: '40s' },
          },
        },
      },
    },
    phases: {
      kind: 'list',
      required: true,
      minItems: 1,
      item: {
        kind: 'object',
        fields: {
          name: { kind: 'enum', values: PHASE_NAMES, required: true },
          duration: { kind: 'duration', min: 0, default: null },
        },
      },
    },
    remedy: {
      kind: 'object',
      optional: true,
      fields: { kind: { kind: 'enum', values: ['gossip-encryption'], required: true } },
    },
    recorder: {
      kind: 'object',
      fields: {
        samplePeriod: { kind: 'duration', min: 100, max: 60_000, default: '1s' },
        watchHeartbeat: { kind: 'duration', min: 5_000, default: '60s', fixed: 'not read: the recorder\'s watches end and resume every 25 s on their own (resumable-watch.ts)' },
      },
    },
    traffic: {
      kind: 'object',
      doc: 'Users of the dev environments: requests from the host through the LB generated from Consul (lab/images/lb).',
      fields: {
        ratePerSec: { kind: 'number', min: 0, max: 200, default: 0, doc: 'requests per second through the LB to the dev-env apps; 0 runs no LB tier' },
        timeout: { kind: 'duration', min: 100, max: 30_000, default: '5s', doc: 'a user gives up after this long (counted as a timeout)' },
        lbServerChecks: { kind: 'bool', default: false, doc: 'HAProxy health checks on top of Consul\'s; false trusts the catalog alone, as an LB generated from Consul does' },
      },
    },
    recovery: {
      kind: 'object',
      fields: {
        timeout: { kind: 'duration', min: 1_000, default: '10m' },
        latencyTolerance: { kind: 'number', min: 0, max: 10, default: 0.2 },
      },
    },
  },
};

/** Every field path in the schema ("shipper.mode", "phases[].name"), for "did you mean" across levels. */
export function allFieldPaths(spec: Spec = SCENARIO_SPEC, prefix = ''): string[] {
  const out: string[] = [];
  const inner = spec.kind === 'noneOr' ? spec.spec : spec;
  if (inner.kind === 'object') {
    for (const [k, s] of Object.entries(inner.fields)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.push(p, ...allFieldPaths(s, p));
    }
  } else if (inner.kind === 'list') {
    out.push(...allFieldPaths(inner.item, `${prefix}[]`));
  }
  return out;
}
