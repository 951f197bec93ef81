// The shipper's environment (documented in src/apps/README.md).
import { EnvError, envEnum, envInt, envList, envOptional, envString, type Env } from '../lib/env.ts';
import type { Level } from '../lib/log.ts';
import { pipelineConfig, type PipelineConfig } from '../pipeline/config.ts';
import type { RetryLogMode } from '../pipeline/retry-log.ts';
import type { StdStream } from './cri.ts';
import { selectorTerms } from './docker-discovery.ts';
import type { SelectionConfig } from './selection.ts';

export const SHIPPER_SOURCES = ['file', 'kubelet-api', 'docker-api'] as const;
export type ShipperSource = (typeof SHIPPER_SOURCES)[number];
export const RETRY_LOG_MODES = ['every', 'throttled', 'off'] as const;

export interface ShipperConfig {
  source: ShipperSource;
  selection: SelectionConfig;
  nodeName: string | undefined;
  labelSelector: string | undefined;
  streams: StdStream[];
  readFrom: 'head' | 'tail';
  logRoot: string;
  pollMs: number;
  discoveryMs: number;
  chunkBytes: number;
  budgetBytes: number;
  kubeReconnectMs: number;
  kubeIdleMs: number;
  docker: {
    socket: string;
    /** Bound on each call to dockerd (a list, an inspect, a stream until its headers). */
    timeoutMs: number;
    reconnectMs: number;
    idleMs: number;
    /** SHIPPER_SELECTOR as Docker label filters on pod sandboxes (scope node). */
    selector: string[];
  };
  /** Failed flush attempts on stdout, where the container runtime copies them like any log line. */
  retryLog: RetryLogMode;
  positionsFile: string | undefined;
  positionsSaveMs: number;
  port: number;
  logLevel: Level;
  podName: string;
  pipeline: PipelineConfig;
}

export function shipperConfig(env: Env): ShipperConfig {
  const source = envEnum(env, 'SHIPPER_SOURCE', SHIPPER_SOURCES, 'file');
  const scope = envEnum(env, 'SHIPPER_SCOPE', ['pod', 'node'] as const, 'pod');
  const self = { namespace: envOptional(env, 'POD_NAMESPACE'), pod: envOptional(env, 'POD_NAME'), uid: envOptional(env, 'POD_UID') };
  if (scope === 'pod' && (!self.namespace || !self.pod)) throw new EnvError('SHIPPER_SCOPE=pod needs POD_NAME and POD_NAMESPACE (downward API)');
  const nodeName = envOptional(env, 'NODE_NAME');
  if (scope === 'node' && source === 'kubelet-api' && !nodeName) throw new EnvError('SHIPPER_SCOPE=node with SHIPPER_SOURCE=kubelet-api needs NODE_NAME (downward API spec.nodeName)');
  const containers = envList(env, 'APP_CONTAINER', ['app']);
  if (scope === 'pod' && containers.includes('*')) throw new EnvError('APP_CONTAINER=* only makes sense with SHIPPER_SCOPE=node');
  const podRegex = envOptional(env, 'SHIPPER_POD_REGEX');
  let podPattern: RegExp | undefined;
  try {
    podPattern = podRegex ? new RegExp(podRegex) : undefined;
  } catch (e) {
    throw new EnvError(`SHIPPER_POD_REGEX is not a valid regular expression: ${(e as Error).message}`);
  }
  const streams = envList(env, 'SHIPPER_STREAMS', ['stdout', 'stderr']);
  for (const s of streams) if (s !== 'stdout' && s !== 'stderr') throw new EnvError(`SHIPPER_STREAMS: ${s} is not stdout or stderr`);
  if (streams.length === 0) throw new EnvError('SHIPPER_STREAMS names no stream: give stdout, stderr or both');
  const labelSelector = envOptional(env, 'SHIPPER_SELECTOR');
  let dockerSelector: string[] = [];
  if (source === 'docker-api') {
    try {
      dockerSelector = selectorTerms(labelSelector);
    } catch (e) {
      throw new EnvError(`SHIPPER_SELECTOR: ${(e as Error).message}`);
    }
  }
  const positions = envString(env, 'POSITIONS_FILE', '/var/lib/shipper/positions.json');
  return {
    source,
    selection: { scope, self, namespaces: envList(env, 'SHIPPER_NAMESPACES', []), containers, podPattern },
    nodeName,
    labelSelector,
    streams: streams as StdStream[],
    readFrom: envEnum(env, 'SHIPPER_READ_FROM', ['head', 'tail'] as const, 'head'),
    logRoot: envString(env, 'LOG_ROOT', '/var/log/pods'),
    pollMs: envInt(env, 'TAIL_POLL_MS', 250, 1),
    discoveryMs: envInt(env, 'DISCOVERY_INTERVAL_MS', 5_000, 1),
    chunkBytes: envInt(env, 'READ_CHUNK_BYTES', 256 * 1024, 64 * 1024),
    budgetBytes: envInt(env, 'READ_BUDGET_BYTES', 4 * 1024 * 1024, 1),
    kubeReconnectMs: envInt(env, 'KUBE_RECONNECT_MS', 1_000, 0),
    kubeIdleMs: envInt(env, 'KUBE_IDLE_MS', 60_000, 1_000),
    docker: {
      socket: envString(env, 'DOCKER_SOCKET', '/var/run/docker.sock'),
      timeoutMs: envInt(env, 'DOCKER_TIMEOUT_MS', 15_000, 100),
      reconnectMs: envInt(env, 'DOCKER_RECONNECT_MS', 1_000, 0),
      idleMs: envInt(env, 'DOCKER_IDLE_MS', 60_000, 100),
      selector: dockerSelector,
    },
    retryLog: envEnum(env, 'SHIPPER_RETRY_LOG', RETRY_LOG_MODES, 'every'),
    positionsFile: positions === 'none' ? undefined : positions,
    positionsSaveMs: envInt(env, 'POSITIONS_SAVE_MS', 1_000, 1),
    port: envInt(env, 'SHIPPER_PORT', 9101),
    logLevel: envEnum(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    podName: self.pod ?? nodeName ?? 'shipper',
    pipeline: pipelineConfig(env, 'LOG_TOPIC', 'logs'),
  };
}
