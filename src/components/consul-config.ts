import { configMap, type Obj } from '../cluster/manifests.ts';

export interface ConsulTunings {
  /** false in 2019: a pod that died never said goodbye, so the pool kept it as failed. */
  leaveOnTerminate: boolean;
  /** How long failed members are kept before being reaped; Consul refuses less than 8h. */
  reconnectTimeout: string;
}

export const CONSUL_2019: ConsulTunings = { leaveOnTerminate: false, reconnectTimeout: '72h' };

/** The agent configuration shared by servers and client agents (gossip keys are never in here). */
export function consulConfigMap(t: ConsulTunings): Obj {
  const config = {
    log_level: 'warn',
    leave_on_terminate: t.leaveOnTerminate,
    reconnect_timeout: t.reconnectTimeout,
    // Prometheus-style retention makes /v1/agent/metrics carry serf and memberlist counters for the recorder.
    telemetry: { disable_hostname: true, prometheus_retention_time: '60s' },
  };
  return configMap('lab', 'consul-config', { 'lab.json': JSON.stringify(config, null, 2) });
}
