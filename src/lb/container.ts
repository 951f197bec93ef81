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
  /** Pod networks and the node address each is behind (see lab/images/lb/entrypoint.sh). */
  routes?: readonly { cidr: string; via: string }[];
  network?: string;
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
      ...(o.routes?.length ? { LB_ROUTES: o.routes.map((r) => `${r.cidr}=${r.via}`).join(' ') } : {}),
      ...(o.timeoutConnectMs ? { LB_TIMEOUT_CONNECT: `${o.timeoutConnectMs}ms` } : {}),
      ...(o.timeoutServerMs ? { LB_TIMEOUT_SERVER: `${o.timeoutServerMs}ms` } : {}),
    },
    ports: [LB_PORTS.traffic, LB_PORTS.stats],
    ...(o.network ? { network: o.network } : {}),
    // Routes are set inside the LB's own network namespace only; nothing on the host changes.
    ...(o.routes?.length ? { runArgs: ['--cap-add', 'NET_ADMIN'] } : {}),
  };
}
