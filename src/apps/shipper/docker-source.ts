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
import type { Emitter, Source, SourceStats } from './source.ts';

export interface DockerSourceOptions {
  discovery: DockerDiscoveryConfig;
  selection: Selection;
  discoveryMs: number;
  stream: DockerStreamOptions;
}

export class DockerSource implements Source {
  private readonly streams = new Map<string, DockerLogStream>();
  private readonly loop: PeriodicLoop;
  private readonly abort = new AbortController();

  constructor(
    private readonly opts: DockerSourceOptions,
    private readonly client: DockerClient,
    private readonly emit: Emitter,
    private readonly stats: SourceStats,
    private readonly positions: Positions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.loop = new PeriodicLoop(clock, { everyMs: opts.discoveryMs, onError: (e) => log.warn('container discovery failed', { error: errorMessage(e) }) }, () => this.discover());
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop.stop();
    await Promise.all([...this.streams.values()].map((s) => s.stop()));
    this.streams.clear();
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
    const wanted = new Map((await this.targets()).map((t) => [t.id, t]));
    for (const [id, t] of wanted) {
      const existing = this.streams.get(id);
      if (existing && !existing.gone) continue;
      if (existing) await existing.stop();
      this.log.info('following', { target: id, via: 'docker-api' });
      const s = new DockerLogStream(t, this.opts.stream, { client: this.client, emit: this.emit, stats: this.stats, log: this.log, clock: this.clock, position: this.positions.get(id) });
      this.streams.set(id, s);
      s.start();
    }
    for (const [id, s] of this.streams) {
      // A stopped container is no longer listed, but its log may still hold lines we have not read
      // (held back by a full buffer): its stream ends by itself once it has read them.
      if (wanted.has(id) || !s.gone) continue;
      this.log.info('stream ended', { target: id });
      await s.stop();
      this.streams.delete(id);
      this.positions.forget(id);
    }
    this.stats.streams = this.streams.size;
  }
}
