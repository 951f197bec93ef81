// The LB tier of a replay: the lab's LB image beside the cluster, on the lab's data-centre network
// (where Kafka is, and where TAP's LB stood: outside the cluster it routes into), generating from the
// Consul servers through the control plane's NodePort. Not in the cluster: an LB pod would share the
// flooded nodes' runtime and be evicted with them, which measures the cluster twice instead of the
// users once; and reaching it from the host would need a kind port mapping, i.e. a new cluster.
import type { CoreV1Api } from '@kubernetes/client-node';
import { DC_NETWORK, dcSubnet } from '../components/dc-network.ts';
import { Container, forHttp, removeContainer } from '../docker/containers.ts';
import { capture } from '../util/exec.ts';
import { LabError } from '../util/errors.ts';
import { LB_PORTS, lbContainerSpec } from './container.ts';

export const LAB_LB_NAME = 'outage-lab-lb';
/** manifests/consul/servers.yaml: the servers' HTTP API as a NodePort. */
export const CONSUL_NODE_PORT = 30850;

/** The data-centre network when the lab has one (external Kafka), else kind's own network. */
export async function lbNetwork(): Promise<string> {
  return (await dcSubnet()) ? DC_NETWORK : 'kind';
}

async function addressOn(container: string, network: string): Promise<string> {
  const ip = (await capture('docker', ['inspect', '--format', `{{with index .NetworkSettings.Networks "${network}"}}{{.IPAddress}}{{end}}`, container])).trim();
  if (!ip) throw new LabError(`node container ${container} has no address on Docker network ${network}`);
  return ip;
}

/** Each node's pod network, behind that node's address on `network` (kind names node containers after nodes). */
export async function podRoutes(core: CoreV1Api, network: string): Promise<{ node: string; cidr: string; via: string }[]> {
  const nodes = (await core.listNode()).items;
  const out: { node: string; cidr: string; via: string }[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    const cidr = n.spec?.podCIDR;
    if (!name || !cidr) continue;
    out.push({ node: name, cidr, via: await addressOn(name, network) });
  }
  return out;
}

export interface LabLb {
  container: Container;
  network: string;
  /** Addresses the load generator may aim at besides loopback. */
  trafficUrl: string;
  statsBase: string;
  remove(): Promise<void>;
}

export async function startLabLb(o: { image: string; core: CoreV1Api; clusterName: string; serverChecks: boolean; timeoutMs: number }): Promise<LabLb> {
  const network = await lbNetwork();
  await removeContainer(LAB_LB_NAME); // a previous run's, if a crash left it
  const routes = await podRoutes(o.core, network);
  const consul = await addressOn(`${o.clusterName}-control-plane`, network);
  const container = await Container.run({
    ...lbContainerSpec({
      name: LAB_LB_NAME,
      image: o.image,
      consulAddr: `${consul}:${CONSUL_NODE_PORT}`,
      serverChecks: o.serverChecks,
      routes,
      network,
      // Below the users' timeout, so a dead server shows as the LB's 503 rather than as the user giving up.
      timeoutConnectMs: Math.max(100, Math.min(2_000, Math.floor(o.timeoutMs / 4))),
    }),
    labels: { 'outage-lab.role': 'lb' },
    // HAProxy starts after consul-template's first render, i.e. once Consul answered.
    waitFor: forHttp(LB_PORTS.stats, '/lb/render'),
    startupTimeoutMs: 60_000,
  });
  return {
    container,
    network,
    trafficUrl: `http://127.0.0.1:${container.hostPort(LB_PORTS.traffic)}/`,
    statsBase: `http://127.0.0.1:${container.hostPort(LB_PORTS.stats)}`,
    remove: () => removeContainer(LAB_LB_NAME),
  };
}
