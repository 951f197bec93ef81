// Scrapes targets on a fixed schedule and hands every sample to the shared pipeline as one record.
// While Kafka is away the samples pile up in the same buffer as the shipper's lines would.
import type { Clock } from '../lib/clock.ts';
import { errorMessage, LogThrottle, type Logger } from '../lib/log.ts';
import { PeriodicLoop } from '../lib/periodic.ts';
import { makeRecord } from '../pipeline/record.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { parsePrometheusText } from './prom-text.ts';

/** One /metrics endpoint and the pod its samples describe (their Kafka key and `pod` field). */
export interface ScrapeTarget {
  /** Stable identity across refreshes: the URL (fixed targets) or `<ns>/<pod>/<uid>` (discovered). */
  id: string;
  url: string;
  key: string;
}

export interface ScraperOptions {
  /** Read at every round, so a discovery refresh takes effect at the next scrape without a restart. */
  targets: () => readonly ScrapeTarget[];
  intervalMs: number;
  timeoutMs: number;
}

/** The sidecar's targets: fixed URLs, all describing the agent's own pod. */
export function fixedTargets(urls: readonly string[], key: string): ScrapeTarget[] {
  return urls.map((url) => ({ id: url, url, key }));
}

export class Scraper {
  scrapes = 0;
  scrapeErrors = 0;
  samples = 0;
  /** Samples the buffer refused while full (blocking modes): a scrape does not wait. */
  samplesRefused = 0;
  /** Duration of the last round over all targets. */
  lastScrapeMs = 0;
  private readonly throttle = new LogThrottle(30_000);
  private readonly loop: PeriodicLoop;

  constructor(private readonly opts: ScraperOptions, private readonly pipeline: Pipeline, private readonly clock: Clock, private readonly log: Logger) {
    // Anchored, like Prometheus: a slow scrape does not shift the following ones. scrapeOnce() catches
    // per target; onError is only the loop's contract.
    this.loop = new PeriodicLoop(clock, { everyMs: opts.intervalMs, anchored: true, onError: (e) => this.log.warn('scrape round failed', { error: errorMessage(e) }) }, () => this.scrapeOnce());
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  async scrapeOnce(): Promise<void> {
    const t0 = this.clock.now();
    // Concurrent, as separate sidecars would be: one pod stuck on a drowning node must not delay, or
    // with N pods × timeout push past the interval, the scrapes of the others.
    await Promise.all(this.opts.targets().map((t) => this.scrapeTarget(t, t0)));
    this.lastScrapeMs = this.clock.now() - t0;
  }

  private async scrapeTarget(target: ScrapeTarget, t0: number): Promise<void> {
    this.scrapes++;
    try {
      const res = await fetch(target.url, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const { samples } = parsePrometheusText(await res.text());
      const ts = new Date(t0).toISOString();
      for (const s of samples) {
        const value = JSON.stringify({ ts, pod: target.key, target: target.url, name: s.name, labels: s.labels, value: Number.isFinite(s.value) ? s.value : String(s.value) });
        if (this.pipeline.offer(makeRecord(target.key, value))) this.samples++;
        else this.samplesRefused++;
      }
    } catch (e) {
      this.scrapeErrors++;
      const suppressed = this.throttle.pass(target.url);
      if (suppressed !== undefined) this.log.warn('scrape failed', { url: target.url, target_pod: target.key, error: errorMessage(e), suppressed });
    }
  }
}
