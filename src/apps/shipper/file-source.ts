// The `file` source: finds container log directories under /var/log/pods (hostPath) and tails them.
// Reading files directly bypasses containerd and the kubelet entirely, which is the point of
// offering it next to the kubelet-api source.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../lib/clock.ts';
import { errorMessage, type Logger } from '../lib/log.ts';
import { PeriodicLoop } from '../lib/periodic.ts';
import { FileTail, type TailOptions } from './file-tail.ts';
import { parsePodDir } from './log-files.ts';
import type { Positions } from './positions.ts';
import type { Emitter, Source, SourceStats, Target } from './source.ts';
import type { Selection } from './selection.ts';

export interface FileSourceOptions {
  root: string;
  selection: Selection;
  pollMs: number;
  discoveryMs: number;
  /** Bytes one container may read per round, so a flooding pod cannot starve the others. */
  budgetBytes: number;
  tail: TailOptions;
}

export class FileSource implements Source {
  private readonly tails = new Map<string, FileTail>();
  private stopped = false;
  private readonly abort = new AbortController();
  private reading: Promise<void> | null = null;
  private readonly discovery: PeriodicLoop;

  constructor(
    private readonly opts: FileSourceOptions,
    private readonly emit: Emitter,
    private readonly stats: SourceStats,
    private readonly positions: Positions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.discovery = new PeriodicLoop(clock, { everyMs: opts.discoveryMs, onError: (e) => log.warn('discovery failed', { error: errorMessage(e) }) }, () => this.discover());
  }

  start(): void {
    this.discovery.start();
    this.reading = this.readLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.all([this.discovery.stop(), this.reading]);
    for (const t of this.tails.values()) await t.close();
    this.tails.clear();
  }

  /** One discovery pass; exposed so tests need not wait for the timer. */
  async discover(): Promise<void> {
    const wanted = await this.scan();
    for (const [dir, target] of wanted) {
      if (this.tails.has(dir)) continue;
      this.log.info('following', { target: target.id, dir });
      this.tails.set(dir, new FileTail(target, dir, this.opts.tail, { emit: this.emit, stats: this.stats, log: this.log, position: this.positions.get(target.id) }));
    }
    for (const [dir, tail] of this.tails) {
      if (wanted.has(dir) || !(await tail.isGone())) continue;
      this.log.info('stream ended', { target: tail.target.id });
      await tail.close();
      this.tails.delete(dir);
      this.positions.forget(tail.target.id);
    }
    this.stats.streams = this.tails.size;
  }

  /** One read round over every tail; returns what happened. */
  async readRound(): Promise<{ progress: boolean; blocked: number; needBytes: number }> {
    let progress = false;
    let blocked = 0;
    let needBytes = Number.POSITIVE_INFINITY;
    for (const tail of this.tails.values()) {
      const r = await tail.poll(this.opts.budgetBytes);
      if (r === 'progress') progress = true;
      if (r === 'blocked') {
        blocked++;
        needBytes = Math.min(needBytes, tail.pendingBytes);
      }
    }
    this.stats.blocked = blocked;
    return { progress, blocked, needBytes: blocked ? needBytes : 0 };
  }

  private async scan(): Promise<Map<string, Target>> {
    const out = new Map<string, Target>();
    let pods: string[];
    try {
      pods = await readdir(this.opts.root);
    } catch (e) {
      this.log.warn('cannot list log root', { root: this.opts.root, error: errorMessage(e) });
      return out;
    }
    for (const name of pods) {
      const p = parsePodDir(name);
      if (!p || !this.opts.selection.pod(p)) continue;
      let containers: string[];
      try {
        containers = await readdir(join(this.opts.root, name));
      } catch {
        continue;
      }
      for (const c of containers) {
        if (!this.opts.selection.container(c)) continue;
        out.set(join(this.opts.root, name, c), { id: `${p.namespace}/${p.pod}/${p.uid}/${c}`, namespace: p.namespace, pod: p.pod, container: c, key: p.pod });
      }
    }
    return out;
  }

  private async readLoop(): Promise<void> {
    while (!this.stopped) {
      let r = { progress: false, blocked: 0, needBytes: 0 };
      try {
        r = await this.readRound();
      } catch (e) {
        this.log.warn('read failed', { error: errorMessage(e) });
      }
      if (r.progress) {
        // Let the flusher and the HTTP server in between rounds.
        await new Promise<void>((res) => setImmediate(res));
      } else if (r.blocked > 0) {
        // Wait until the smallest held record fits; the poll bound still lets discovery and stop be seen.
        await Promise.race([this.emit.whenRoom(r.needBytes), this.clock.sleep(this.opts.pollMs, this.abort.signal)]);
      } else {
        await this.clock.sleep(this.opts.pollMs, this.abort.signal);
      }
    }
  }
}
