// The follow streams of a source that reads one stream per container (kubelet-api, docker-api), kept in
// step with what discovery lists: a new target gets a stream, a stream whose container is gone is replaced,
// and a target no longer listed has its stream stopped and its position forgotten.
import type { Logger } from '../lib/log.ts';
import type { Positions } from './positions.ts';
import type { SourceStats, Target } from './source.ts';

export interface FollowStream {
  /** Set when the stream learned its container no longer exists. */
  readonly gone: boolean;
  start(): void;
  stop(): Promise<void>;
}

export class StreamSet<T extends Target, S extends FollowStream> {
  private readonly streams = new Map<string, S>();

  constructor(
    private readonly open: (target: T) => S,
    private readonly deps: { stats: SourceStats; positions: Positions; log: Logger; via: string },
    /**
     * true: a stream whose target is no longer listed is kept until it ends by itself (a stopped container
     * is not listed, yet its log may still hold lines a full buffer held back).
     */
    private readonly keepUnlistedUntilGone = false,
  ) {}

  async reconcile(targets: readonly T[]): Promise<void> {
    const wanted = new Map(targets.map((t) => [t.id, t]));
    for (const [id, t] of wanted) {
      const existing = this.streams.get(id);
      if (existing && !existing.gone) continue;
      if (existing) await existing.stop();
      this.deps.log.info('following', { target: id, via: this.deps.via });
      const s = this.open(t);
      this.streams.set(id, s);
      s.start();
    }
    for (const [id, s] of this.streams) {
      if (wanted.has(id) || (this.keepUnlistedUntilGone && !s.gone)) continue;
      this.deps.log.info('stream ended', { target: id });
      await s.stop();
      this.streams.delete(id);
      this.deps.positions.forget(id);
    }
    this.deps.stats.streams = this.streams.size;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.stop()));
    this.streams.clear();
  }
}
