// The shipper's environment (documented in src/apps/README.md).
import { EnvError, envEnum, envInt, envList, envOptional, envString, type Env } from '../lib/env.ts';
import type { Level } from '../lib/log.ts';
import { pipelineConfig, type PipelineConfig } from '../pipeline/config.ts';
import type { StdStream } from './cri.ts';
import type { SelectionConfig } from './selection.ts';

export interface ShipperConfig {
  source: 'file' | 'kubelet-api';
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
  positionsFile: string | undefined;
  positionsSaveMs: number;
  port: number;
  logLevel: Level;
  podName: string;
  pipeline: PipelineConfig;
}

export function shipperConfig(env: Env): ShipperConfig {
  const source = envEnum(env, 'SHIPPER_SOURCE', ['file', 'kubelet-api'] as const, 'file');
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
  const positions = envString(env, 'POSITIONS_FILE', '/var/lib/shipper/positions.json');
  return {
    source,
    selection: { scope, self, namespaces: envList(env, 'SHIPPER_NAMESPACES', []), containers, podPattern },
    nodeName,
    labelSelector: envOptional(env, 'SHIPPER_SELECTOR'),
    streams: streams as StdStream[],
    readFrom: envEnum(env, 'SHIPPER_READ_FROM', ['head', 'tail'] as const, 'head'),
    logRoot: envString(env, 'LOG_ROOT', '/var/log/pods'),
    pollMs: envInt(env, 'TAIL_POLL_MS', 250, 1),
    discoveryMs: envInt(env, 'DISCOVERY_INTERVAL_MS', 5_000, 1),
    chunkBytes: envInt(env, 'READ_CHUNK_BYTES', 256 * 1024, 64 * 1024),
    budgetBytes: envInt(env, 'READ_BUDGET_BYTES', 4 * 1024 * 1024, 1),
    kubeReconnectMs: envInt(env, 'KUBE_RECONNECT_MS', 1_000, 0),
    kubeIdleMs: envInt(env, 'KUBE_IDLE_MS', 60_000, 1_000),
    positionsFile: positions === 'none' ? undefined : positions,
    positionsSaveMs: envInt(env, 'POSITIONS_SAVE_MS', 1_000, 1),
    port: envInt(env, 'SHIPPER_PORT', 9101),
    logLevel: envEnum(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    podName: self.pod ?? nodeName ?? 'shipper',
    pipeline: pipelineConfig(env, 'LOG_TOPIC', 'logs'),
  };
}
