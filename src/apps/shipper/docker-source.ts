// The `docker-api` source: one log stream per selected container of the node's dockerd. Sidecar: its
// own pod's containers. DaemonSet: every selected pod's (all containers on this dockerd are this
// node's). Containers are found by dockershim's labels; a restarted container is a new one, so it gets
// a stream of its own, and the old one's stream runs until its log is read to the end.
import type { Clock } from '../lib/clock.ts';
import { errorMessage, type Logger } from '../lib/log.ts';
import { PeriodicLoop } from '../lib/periodic.ts';
import type { DockerClient } from './docker-client.ts';
import { containerQueries, podUids, sandboxQueries, toTargets, type ContainerSummary, type DockerDiscoveryConfig, type DockerTarget } from './docker-discovery.ts';
import { DockerLogStream, type DockerStreamOptions } from './docker-stream.ts';
import type { Positions } from './positions.ts';
import type { Selection } from './selection.ts';
import { StreamSet } from './stream-set.ts';
import type { Emitter, Source, SourceStats } from './source.ts';

export interface DockerSourceOptions {
  discovery: DockerDiscoveryConfig;
  selection: Selection;
  discoveryMs: number;
  stream: DockerStreamOptions;
}

export class DockerSource implements Source {
  private readonly streams: StreamSet<DockerTarget, DockerLogStream>;
  private readonly loop: PeriodicLoop;
  private readonly abort = new AbortController();

  constructor(
    private readonly opts: DockerSourceOptions,
    private readonly client: DockerClient,
    emit: Emitter,
    stats: SourceStats,
    positions: Positions,
    clock: Clock,
    log: Logger,
  ) {
    this.loop = new PeriodicLoop(clock, { everyMs: opts.discoveryMs, onError: (e) => log.warn('container discovery failed', { error: errorMessage(e) }) }, () => this.discover());
    this.streams = new StreamSet(
      (t) => new DockerLogStream(t, opts.stream, { client, emit, stats, log, clock, position: positions.get(t.id) }),
      { stats, positions, log, via: 'docker-api' },
      true,
    );
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop.stop();
    await this.streams.stopAll();
  }

  private async list(paths: readonly string[]): Promise<ContainerSummary[]> {
    const out: ContainerSummary[] = [];
    for (const p of paths) out.push(...(await this.client.getJson<ContainerSummary[]>(p, this.abort.signal)));
    return out;
  }

  private async targets(): Promise<DockerTarget[]> {
    const d = this.opts.discovery;
    const sandboxes = sandboxQueries(d);
    const pods = sandboxes ? podUids(await this.list(sandboxes)) : null;
    return toTargets(await this.list(containerQueries(d)), this.opts.selection, pods);
  }

  async discover(): Promise<void> {
    await this.streams.reconcile(await this.targets());
  }
}
