import { LabError } from '../util/errors.ts';
import { capture, run, succeeds } from '../util/exec.ts';

/**
 * The "data centre" network: a Docker network of the lab's own, outside the Kubernetes cluster, where Kafka
 * lives as it lived in OpenStack in 2019. The kind nodes get a second interface on it.
 */
export const DC_NETWORK = 'outage-lab-dc';
const CANDIDATES = ['10.213.0.0/24', '10.214.0.0/24', '10.215.0.0/24', '172.30.213.0/24', '192.168.213.0/24'];

function prefixOf(cidr: string): string {
  return cidr.split('.').slice(0, 3).join('.');
}

async function subnetsInUse(): Promise<string[]> {
  const ids = (await capture('docker', ['network', 'ls', '-q'])).split('\n').filter(Boolean);
  const used: string[] = [];
  for (const id of ids) {
    const out = await capture('docker', ['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', id]).catch(() => '');
    used.push(...out.split(' ').filter(Boolean));
  }
  if (await succeeds('sh', ['-c', 'command -v ip'])) {
    const routes = await capture('ip', ['-4', 'route']).catch(() => '');
    used.push(...routes.split('\n').map((l) => l.split(' ')[0] ?? '').filter((r) => r.includes('/')));
  }
  return used;
}

export async function dcSubnet(): Promise<string | undefined> {
  if (!(await succeeds('docker', ['network', 'inspect', DC_NETWORK]))) return undefined;
  return capture('docker', ['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', DC_NETWORK]);
}

/** Creates the network once, on a /24 that overlaps nothing the machine already routes. */
export async function ensureDcNetwork(): Promise<string> {
  const existing = await dcSubnet();
  if (existing) return existing;
  const used = (await subnetsInUse()).map(prefixOf);
  const free = CANDIDATES.find((c) => !used.includes(prefixOf(c)));
  if (!free) {
    throw new LabError(`no free subnet for the lab network among ${CANDIDATES.join(', ')}`, 'remove unused Docker networks (`docker network prune`)');
  }
  await run('docker', ['network', 'create', '--subnet', free, '--label', 'outage-lab=1', DC_NETWORK]);
  return free;
}

/** The fixed address of a host on the dc network (.10 Kafka, ...), so it can be advertised before start. */
export function dcAddress(subnet: string, host: number): string {
  return `${prefixOf(subnet)}.${host}`;
}

export async function connectNode(container: string): Promise<void> {
  const nets = await capture('docker', ['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', container]);
  if (nets.split(' ').includes(DC_NETWORK)) return;
  await run('docker', ['network', 'connect', DC_NETWORK, container]);
}

/** Takes the nodes off the dc network and removes it, when an in-cluster broker replaces the external one. */
export async function detachDcNetwork(containers: string[]): Promise<boolean> {
  if (!(await succeeds('docker', ['network', 'inspect', DC_NETWORK]))) return false;
  for (const c of containers) await run('docker', ['network', 'disconnect', DC_NETWORK, c], { allowFailure: true });
  await removeDcNetwork();
  return true;
}

export async function removeDcNetwork(): Promise<void> {
  await run('docker', ['network', 'rm', DC_NETWORK], { allowFailure: true });
}
