// The in-pod programs' background rounds (pod discovery, scrapes) share one lifecycle: start, a round
// every so often, and a stop that waits for the round under way, so nothing it would still emit lands
// after its owner has shut down.
import type { Clock } from './clock.ts';

export interface PeriodicOptions {
  everyMs: number;
  /** Wait one period before the first round, for owners that already ran one themselves before start(). */
  waitFirst?: boolean;
  /** Rounds start on a fixed grid (like Prometheus scrapes): a slow round does not shift the next ones, and
   *  one longer than the period is followed at once. Otherwise the pause follows the round's end, which
   *  keeps a loaded API server from being asked again the moment a slow answer arrives. */
  anchored?: boolean;
  /** A failed round is reported here and the loop goes on: the next round is the retry. */
  onError: (e: unknown) => void;
}

export class PeriodicLoop {
  private stopped = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(private readonly clock: Clock, private readonly opts: PeriodicOptions, private readonly round: () => Promise<void>) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Cuts the pause short and resolves once the round under way, if any, has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { everyMs, anchored = false } = this.opts;
    let next = this.clock.now();
    if (this.opts.waitFirst) {
      next += everyMs;
      await this.clock.sleep(everyMs, this.abort.signal);
    }
    while (!this.stopped) {
      try {
        await this.round();
      } catch (e) {
        this.opts.onError(e);
      }
      const now = this.clock.now();
      next = anchored ? Math.max(next + everyMs, now) : now + everyMs;
      await this.clock.sleep(next - now, this.abort.signal);
    }
  }
}
