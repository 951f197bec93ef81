// A small testcontainers-like layer over the docker CLI: networks and containers that carry the lab's
// label (so stray ones can always be found and removed), ports published on loopback only, and
// readiness waits with a bounded time.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { LabError } from '../util/errors.ts';
import { docker, dockerOut } from './cli.ts';
import { waitFor, type Watched, type WaitStrategy } from './wait.ts';

export { forAll, forCommand, forHttp, forLog, until, type WaitStrategy } from './wait.ts';

export const LAB_LABEL = 'outage-lab';
/** Groups everything one test or one lab run created, so it can be torn down together. */
export const SCOPE_LABEL = 'outage-lab.scope';

/** LAB_KEEP_CONTAINERS=1 leaves containers and networks in place for a post-mortem. */
const keepContainers = () => Boolean(process.env.LAB_KEEP_CONTAINERS);

/** A TCP port free on 127.0.0.1 right now, for a service that must advertise the port clients use. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries({ [LAB_LABEL]: '1', ...labels }).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
}

export interface Network {
  readonly name: string;
  remove(): Promise<void>;
}

export async function createNetwork(name: string, labels: Record<string, string> = {}): Promise<Network> {
  await docker(['network', 'create', ...labelArgs(labels), name]);
  return { name, remove: () => removeNetwork(name) };
}

export async function removeNetwork(name: string): Promise<void> {
  const r = await docker(['network', 'rm', name], { allowFailure: true });
  if (r.code !== 0 && !/not found|no such network/i.test(r.stderr)) {
    await docker(['network', 'rm', name]); // again, to throw with the command and its stderr
  }
}

export type PortSpec = number | { container: number; host?: number; protocol?: 'tcp' | 'udp' };

export interface ContainerSpec {
  name: string;
  image: string;
  /** Arguments after the image: the command, or the entrypoint's arguments. */
  args?: string[];
  entrypoint?: string;
  env?: Record<string, string>;
  network?: string;
  /** DNS names on `network` besides the container name. */
  aliases?: string[];
  /** Published on 127.0.0.1 only; without a host port Docker picks a free one. */
  ports?: PortSpec[];
  labels?: Record<string, string>;
  hostname?: string;
  user?: string;
  /** Anything else `docker run` takes (e.g. `--cpus`, `--tmpfs`), placed before the image. */
  runArgs?: string[];
  waitFor?: WaitStrategy;
  startupTimeoutMs?: number;
}

function portArgs(ports: PortSpec[]): string[] {
  return ports.flatMap((p) => {
    const { container, host, protocol = 'tcp' } = typeof p === 'number' ? { container: p } : p;
    return ['--publish', `127.0.0.1:${host ?? ''}:${container}/${protocol}`];
  });
}

export function runArgs(spec: ContainerSpec): string[] {
  const args = ['run', '--detach', '--name', spec.name, ...labelArgs(spec.labels ?? {})];
  if (spec.hostname) args.push('--hostname', spec.hostname);
  if (spec.network) args.push('--network', spec.network);
  for (const alias of spec.aliases ?? []) args.push('--network-alias', alias);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--env', `${k}=${v}`);
  if (spec.entrypoint !== undefined) args.push('--entrypoint', spec.entrypoint);
  if (spec.user) args.push('--user', spec.user);
  args.push(...portArgs(spec.ports ?? []), ...(spec.runArgs ?? []), spec.image, ...(spec.args ?? []));
  return args;
}

export class Container implements Watched {
  private constructor(
    readonly name: string,
    readonly image: string,
    private readonly ports: Map<string, number>,
  ) {}

  /** Starts a container and, when the spec says how, waits until it is ready. */
  static async run(spec: ContainerSpec): Promise<Container> {
    await docker(runArgs(spec));
    const ports = new Map<string, number>();
    try {
      for (const p of spec.ports ?? []) {
        const { container, protocol = 'tcp' } = typeof p === 'number' ? { container: p } : p;
        const out = await dockerOut(['port', spec.name, `${container}/${protocol}`]);
        // One line per address family; the IPv4 loopback one is what we asked for.
        const m = /127\.0\.0\.1:(\d+)/.exec(out);
        if (!m) throw new LabError(`docker port ${spec.name} ${container}/${protocol} gave no 127.0.0.1 address: ${out}`);
        ports.set(`${container}/${protocol}`, Number(m[1]));
      }
      const c = new Container(spec.name, spec.image, ports);
      if (spec.waitFor) await waitFor(c, spec.waitFor, spec.startupTimeoutMs ?? 60_000);
      return c;
    } catch (err) {
      if (!keepContainers()) await removeContainer(spec.name).catch(() => {});
      throw err;
    }
  }

  /**
   * A handle on a container started earlier (by another command of the lab, say), with the loopback
   * ports it publishes; undefined when no such container exists.
   */
  static async attach(name: string): Promise<Container | undefined> {
    const r = await docker(['inspect', '--format', '{{.Config.Image}} {{json .NetworkSettings.Ports}}', name], { allowFailure: true });
    if (r.code !== 0) return undefined;
    const [image = '', json = 'null'] = r.stdout.trim().split(/ (.*)/s);
    const bindings = (JSON.parse(json) ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
    const ports = new Map<string, number>();
    for (const [key, list] of Object.entries(bindings)) {
      const loopback = list?.find((b) => b.HostIp === '127.0.0.1');
      if (loopback) ports.set(key, Number(loopback.HostPort));
    }
    return new Container(name, image, ports);
  }

  /** The 127.0.0.1 port that a published container port was given. */
  hostPort(containerPort: number, protocol: 'tcp' | 'udp' = 'tcp'): number {
    const p = this.ports.get(`${containerPort}/${protocol}`);
    if (p === undefined) throw new LabError(`container ${this.name} does not publish ${containerPort}/${protocol}`);
    return p;
  }

  /** Combined stdout and stderr (each in order; docker keeps no order between the two streams). */
  async logs(tail?: number): Promise<string> {
    const r = await docker(['logs', ...(tail ? ['--tail', String(tail)] : []), this.name], { timeoutMs: 30_000 });
    return r.stdout + r.stderr;
  }

  async exec(command: string[], opts: { allowFailure?: boolean; timeoutMs?: number } = {}) {
    return docker(['exec', this.name, ...command], opts);
  }

  async ip(network: string): Promise<string> {
    return dockerOut(['inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, this.name]);
  }

  /** Graceful stop: SIGTERM (or the image's STOPSIGNAL), SIGKILL after `timeoutS`. */
  async stop(timeoutS = 10): Promise<void> {
    await docker(['stop', '--time', String(timeoutS), this.name], { timeoutMs: (timeoutS + 30) * 1000 });
  }

  /** Ungraceful: the process gets no chance to say goodbye, as when a node dies. */
  async kill(signal = 'KILL'): Promise<void> {
    await docker(['kill', '--signal', signal, this.name]);
  }

  async start(): Promise<void> {
    await docker(['start', this.name]);
  }

  async remove(): Promise<void> {
    await removeContainer(this.name);
  }
}

export function runContainer(spec: ContainerSpec): Promise<Container> {
  return Container.run(spec);
}

export async function removeContainer(name: string): Promise<void> {
  const r = await docker(['rm', '--force', '--volumes', name], { allowFailure: true });
  if (r.code !== 0 && !/no such container/i.test(r.stderr)) await docker(['rm', '--force', '--volumes', name]);
}

/** Removes every container, then every network, that carries `label=value`. */
export async function removeLabelled(label: string, value: string): Promise<void> {
  const filter = ['--filter', `label=${label}=${value}`];
  const ids = (await dockerOut(['ps', '--all', '--quiet', ...filter])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '--force', '--volumes', ...ids]);
  const nets = (await dockerOut(['network', 'ls', '--quiet', ...filter])).split('\n').filter(Boolean);
  for (const n of nets) await removeNetwork(n);
}

/**
 * One network plus the containers started on it, all labelled with a unique scope, so that `dispose`
 * removes them even when a test failed half-way through starting them.
 */
export class DockerScope {
  readonly id: string;
  private networkCreated = false;

  constructor(prefix: string) {
    this.id = uniqueName(`lab-${prefix}`);
  }

  get network(): string {
    return this.id;
  }

  async init(): Promise<this> {
    await createNetwork(this.id, { [SCOPE_LABEL]: this.id });
    this.networkCreated = true;
    return this;
  }

  /** Runs a container on the scope's network; `name` gets the scope id as prefix, and the plain name as alias. */
  async run(spec: Omit<ContainerSpec, 'network'>): Promise<Container> {
    if (!this.networkCreated) await this.init();
    return Container.run({
      ...spec,
      name: `${this.id}-${spec.name}`,
      network: this.id,
      aliases: [spec.name, ...(spec.aliases ?? [])],
      labels: { ...spec.labels, [SCOPE_LABEL]: this.id },
    });
  }

  async dispose(): Promise<void> {
    if (keepContainers()) return;
    await removeLabelled(SCOPE_LABEL, this.id);
  }
}
