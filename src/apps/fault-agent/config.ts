import { AGENT_LEASE, AGENT_POLL_MS, AGENT_PORT, DEFAULT_AGENT_DEADLINE_MS } from '../../faults/agent-protocol.ts';
import { CUT_COMMENT } from '../../faults/kafka-network.ts';
import { envEnum, envInt, envRequired, envString, type Env } from '../lib/env.ts';
import type { Level } from '../lib/log.ts';

export interface FaultAgentConfig {
  node: string;
  namespace: string;
  lease: string;
  /** The node's own address: the only one the HTTP port listens on (host network). */
  hostIp: string;
  port: number;
  comment: string;
  pollMs: number;
  /** The bound until the Lease has been read once (it carries its own afterwards). */
  deadlineMs: number;
  hostRun: string;
  logLevel: Level;
}

export function faultAgentConfig(env: Env): FaultAgentConfig {
  return {
    node: envRequired(env, 'NODE_NAME'),
    namespace: envRequired(env, 'POD_NAMESPACE'),
    lease: envString(env, 'LEASE_NAME', AGENT_LEASE),
    hostIp: envRequired(env, 'HOST_IP'),
    port: envInt(env, 'AGENT_PORT', AGENT_PORT, 1),
    comment: envString(env, 'RULE_COMMENT', CUT_COMMENT),
    pollMs: envInt(env, 'POLL_MS', AGENT_POLL_MS, 100),
    deadlineMs: envInt(env, 'DEADLINE_MS', DEFAULT_AGENT_DEADLINE_MS, 1000),
    hostRun: envString(env, 'HOST_RUN', '/host/run'),
    logLevel: envEnum(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
  };
}
