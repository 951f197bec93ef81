// How the lab runs its LB image. Ports are published on loopback only (the load generator is on the host).
import type { ContainerSpec } from '../docker/containers.ts';

export const LB_PORTS = { traffic: 8080, stats: 8404 } as const;

export interface LbOptions {
  name: string;
  image: string;
  /** host:port of the Consul HTTP API the LB generates from. */
  consulAddr: string;
  /** HAProxy's own health checks on top of Consul's: off trusts Consul alone (see lab/images/lb). */
  serverChecks: boolean;
  timeoutConnectMs?: number;
  timeoutServerMs?: number;
}

export function lbContainerSpec(o: LbOptions): ContainerSpec {
  return {
    name: o.name,
    image: o.image,
    env: {
      CONSUL_HTTP_ADDR: o.consulAddr,
      LB_SERVER_CHECKS: o.serverChecks ? 'on' : 'off',
      ...(o.timeoutConnectMs ? { LB_TIMEOUT_CONNECT: `${o.timeoutConnectMs}ms` } : {}),
      ...(o.timeoutServerMs ? { LB_TIMEOUT_SERVER: `${o.timeoutServerMs}ms` } : {}),
    },
    ports: [LB_PORTS.traffic, LB_PORTS.stats],
  };
}
