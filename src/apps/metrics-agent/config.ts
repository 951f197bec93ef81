// The metrics agent's environment (documented in src/apps/README.md). Parsed in one place so a bad
// manifest fails at start with the variable's name instead of scraping nothing for a whole run.
import { EnvError, envEnum, envInt, envList, envOptional, envString, type Env } from '../lib/env.ts';
import type { Level } from '../lib/log.ts';
import { pipelineConfig, type PipelineConfig } from '../pipeline/config.ts';

/** Sidecar: fixed URLs, all keyed by the agent's own pod. DaemonSet: the app pods the API lists on this node. */
export type TargetsConfig =
  | { mode: 'static'; urls: string[] }
  | { mode: 'node'; nodeName: string; namespace: string; labelSelector: string | undefined; port: number; path: string; refreshMs: number };

export interface MetricsAgentConfig {
  pod: string;
  logLevel: Level;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  targets: TargetsConfig;
  pipeline: PipelineConfig;
}

function targetsConfig(env: Env): TargetsConfig {
  const mode = envEnum(env, 'SCRAPE_DISCOVERY', ['static', 'node'] as const, 'static');
  if (mode === 'static') return { mode, urls: envList(env, 'SCRAPE_URL', ['http://127.0.0.1:8080/metrics']) };
  // Discovered targets replace the URL list; accepting both would silently ignore one of them.
  if (envOptional(env, 'SCRAPE_URL')) throw new EnvError('SCRAPE_URL cannot be combined with SCRAPE_DISCOVERY=node');
  const nodeName = envOptional(env, 'NODE_NAME');
  if (!nodeName) throw new EnvError('SCRAPE_DISCOVERY=node needs NODE_NAME (downward API spec.nodeName)');
  // Namespaced listing keeps the RBAC to a Role, like the shipper's.
  const namespace = envOptional(env, 'SCRAPE_NAMESPACE') ?? envOptional(env, 'POD_NAMESPACE');
  if (!namespace) throw new EnvError('SCRAPE_DISCOVERY=node needs SCRAPE_NAMESPACE or POD_NAMESPACE (downward API)');
  const path = envString(env, 'SCRAPE_PATH', '/metrics');
  if (!path.startsWith('/')) throw new EnvError(`SCRAPE_PATH=${JSON.stringify(path)} must start with /`);
  return {
    mode,
    nodeName,
    namespace,
    labelSelector: envOptional(env, 'SCRAPE_SELECTOR'),
    port: envInt(env, 'SCRAPE_PORT', 8080, 1),
    path,
    refreshMs: envInt(env, 'DISCOVERY_INTERVAL_MS', 10_000, 1),
  };
}

export function metricsAgentConfig(env: Env): MetricsAgentConfig {
  return {
    pod: envString(env, 'POD_NAME', 'metrics-agent'),
    logLevel: envEnum(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    port: envInt(env, 'METRICS_AGENT_PORT', 9102),
    intervalMs: envInt(env, 'SCRAPE_INTERVAL_MS', 10_000, 1),
    timeoutMs: envInt(env, 'SCRAPE_TIMEOUT_MS', 5_000, 1),
    targets: targetsConfig(env),
    pipeline: pipelineConfig(env, 'METRICS_TOPIC', 'metrics'),
  };
}
