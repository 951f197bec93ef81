// The containers of one phantom pool: three real Consul servers, one probe agent whose HTTP API the
// measurements use, and pool containers that each run many client agents as plain processes (an agent
// is a process, not a container: thousands of containers would measure Docker, not gossip).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { docker, dockerOut } from '../docker/cli.ts';
import { Container, LAB_LABEL, SCOPE_LABEL, createNetwork, removeLabelled } from '../docker/containers.ts';
import { Secret } from '../secrets/secret.ts';
import { repoRoot } from '../util/paths.ts';
import type { AgentRef } from './plan.ts';

export const PHANTOM_NETWORK = 'outage-lab-phantom';
export const PHANTOM_SCOPE = 'phantom';
const CONFIG_DIR = '/run/phantom-config';
const AGENTCTL = join(repoRoot, 'src', 'phantom', 'agentctl.sh');

/** The lab's own network for the experiment; a leftover of a crashed run (same label) is reused. */
export async function ensurePhantomNetwork(): Promise<void> {
  const r = await docker(['network', 'inspect', '--format', `{{index .Labels "${SCOPE_LABEL}"}}`, PHANTOM_NETWORK], { allowFailure: true });
  if (r.code === 0) {
    if (r.stdout.trim() !== PHANTOM_SCOPE) throw new Error(`network ${PHANTOM_NETWORK} exists but was not created by lab phantom`);
    return;
  }
  await createNetwork(PHANTOM_NETWORK, { [SCOPE_LABEL]: PHANTOM_SCOPE });
}

/** Removes every container of the experiment, then its network. */
export async function removePhantomAll(): Promise<void> {
  await removeLabelled(SCOPE_LABEL, PHANTOM_SCOPE);
}

async function removeCellContainers(cell: string): Promise<void> {
  const ids = (await dockerOut(['ps', '--all', '--quiet', '--filter', `label=outage-lab.phantom-cell=${cell}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '--force', '--volumes', ...ids], { timeoutMs: 300_000 });
}

/** Writes a file inside a container from stdin, so that its content (a gossip key) is on no command line. */
function writeInto(container: string, path: string, content: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', ['exec', '-i', container, 'sh', '-c', `mkdir -p "$(dirname '${path}')" && umask 077 && cat > '${path}'`], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writing ${path} in ${container} failed (exit ${code}): ${err.trim()}`))));
    p.stdin.end(content);
  });
}

function execStdin(container: string, args: string[], input: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', ['exec', '-i', container, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`docker exec ${container} ${args.join(' ')} failed (exit ${code}): ${err.trim()}`));
    });
    p.stdin.end(input);
  });
}

export interface PoolOptions {
  /** Short unique id of the cell, part of every container and node name. */
  cell: string;
  image: string;
  encrypt: boolean;
  containers: number;
}

/** The agent settings every member of a pool shares; telemetry names without the host, as the lab's recorder expects. */
export function sharedConfig(): Record<string, unknown> {
  return { log_level: 'warn', telemetry: { disable_hostname: true } };
}

/** Pool agents serve nothing but gossip: no HTTP, DNS or gRPC listener per process. */
export function poolAgentConfig(): Record<string, unknown> {
  return { ...sharedConfig(), ports: { http: -1, dns: -1 } };
}

export class Pool {
  readonly servers: string[];
  readonly serverAliases: string[];
  readonly probe: string;
  readonly poolContainers: string[];
  private probeContainer?: Container;
  private serverContainer?: Container;

  constructor(readonly o: PoolOptions) {
    this.servers = [0, 1, 2].map((i) => `outage-lab-phantom-${o.cell}-server-${i}`);
    this.serverAliases = [0, 1, 2].map((i) => `${o.cell}-server-${i}`);
    this.probe = `outage-lab-phantom-${o.cell}-probe`;
    this.poolContainers = Array.from({ length: o.containers }, (_, i) => `outage-lab-phantom-${o.cell}-pool-${i}`);
  }

  get joins(): string[] {
    return this.serverAliases.map((a) => `${a}:8301`);
  }

  private labels(): string[] {
    return ['--label', `${LAB_LABEL}=1`, '--label', `${SCOPE_LABEL}=${PHANTOM_SCOPE}`, '--label', `outage-lab.phantom-cell=${this.o.cell}`];
  }

  /** Config files first, then the agent: a container waits for `ready` so that the key is in place before Consul starts. */
  private async configure(container: string, config: Record<string, unknown>, key: Secret | null): Promise<void> {
    await writeInto(container, `${CONFIG_DIR}/lab.json`, JSON.stringify(config));
    if (key) await writeInto(container, `${CONFIG_DIR}/gossip.json`, JSON.stringify({ encrypt: key.reveal() }));
    await docker(['exec', container, 'touch', `${CONFIG_DIR}/ready`]);
  }

  private agentCommand(args: string): string {
    return `until [ -f ${CONFIG_DIR}/ready ]; do sleep 0.1; done; exec consul agent -data-dir=/consul/data -config-dir=${CONFIG_DIR} ${args}`;
  }

  async start(key: Secret | null): Promise<void> {
    await removeCellContainers(this.o.cell);
    const joins = this.serverAliases.map((a) => `-retry-join=${a}`).join(' ');
    for (const [i, name] of this.servers.entries()) {
      const args = `-server -bootstrap-expect=3 -node=${this.serverAliases[i]} -client=0.0.0.0 -retry-interval=1s ${joins}`;
      await docker(['run', '--detach', '--name', name, ...this.labels(), '--network', PHANTOM_NETWORK, '--network-alias', this.serverAliases[i]!,
        ...(i === 0 ? ['--publish', '127.0.0.1::8500'] : []), '--entrypoint', 'sh', this.o.image, '-c', this.agentCommand(args)]);
      await this.configure(name, sharedConfig(), key);
    }
    await docker(['run', '--detach', '--name', this.probe, ...this.labels(), '--network', PHANTOM_NETWORK, '--publish', '127.0.0.1::8500',
      '--entrypoint', 'sh', this.o.image, '-c', this.agentCommand(`-node=${this.o.cell}-probe -client=0.0.0.0 -retry-interval=1s ${joins}`)]);
    await this.configure(this.probe, sharedConfig(), key);
    const agentctl = readFileSync(AGENTCTL, 'utf8');
    for (const name of this.poolContainers) {
      // --init reaps the agents this experiment SIGKILLs; the shell only keeps the container up.
      await docker(['run', '--detach', '--init', '--name', name, ...this.labels(), '--network', PHANTOM_NETWORK,
        '--entrypoint', 'sh', this.o.image, '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done']);
      await writeInto(name, '/usr/local/bin/agentctl', agentctl);
      await docker(['exec', name, 'chmod', '755', '/usr/local/bin/agentctl']);
      await writeInto(name, `${CONFIG_DIR}/lab.json`, JSON.stringify(poolAgentConfig()));
      if (key) await writeInto(name, `${CONFIG_DIR}/gossip.json`, JSON.stringify({ encrypt: key.reveal() }));
    }
    this.serverContainer = await Container.attach(this.servers[0]!);
    this.probeContainer = await Container.attach(this.probe);
  }

  serverPort(): number {
    return this.serverContainer!.hostPort(8500);
  }

  probePort(): number {
    return this.probeContainer!.hostPort(8500);
  }

  /** Starts agents, grouped per container, one `docker exec` per container. */
  async startAgents(agents: AgentRef[]): Promise<void> {
    const byContainer = new Map<number, AgentRef[]>();
    for (const a of agents) byContainer.set(a.container, [...(byContainer.get(a.container) ?? []), a]);
    await Promise.all(
      [...byContainer.entries()].map(([c, list]) =>
        execStdin(this.poolContainers[c]!, ['agentctl', 'start', ...this.joins], list.map((a) => `${a.name} ${a.port}\n`).join('')),
      ),
    );
  }

  /** SIGKILLs agents: they never leave, so the pool keeps them as failed members. */
  async killAgents(agents: AgentRef[]): Promise<void> {
    const byContainer = new Map<number, string[]>();
    for (const a of agents) byContainer.set(a.container, [...(byContainer.get(a.container) ?? []), a.name]);
    await Promise.all([...byContainer.entries()].map(([c, names]) => docker(['exec', this.poolContainers[c]!, 'agentctl', 'kill', ...names])));
  }

  /** Resident memory of every running agent process, in bytes. */
  async agentRss(): Promise<number[]> {
    const out: number[] = [];
    for (const c of this.poolContainers) {
      const text = await dockerOut(['exec', c, 'agentctl', 'rss']);
      for (const line of text.split('\n')) if (line.trim()) out.push(Number(line) * 1024);
    }
    return out;
  }

  async remove(): Promise<void> {
    if (process.env.LAB_KEEP_CONTAINERS) return;
    await removeCellContainers(this.o.cell);
  }
}
