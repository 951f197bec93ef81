// DaemonSet mode: which app pods on this node to scrape. The list is refreshed on a period rather
// than watched: a watch through an API server drowning in the flood would be one more thing to resume,
// and a pod appearing a few seconds late costs one scrape at most.
import type { V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../lib/clock.ts';
import { errorMessage, LogThrottle, type Logger } from '../lib/log.ts';
import { PeriodicLoop } from '../lib/periodic.ts';
import type { ScrapeTarget } from './scraper.ts';

export interface PodLister {
  list(): Promise<V1Pod[]>;
}

export interface Endpoint {
  port: number;
  path: string;
}

/** Pods whose app can answer now. Terminating pods are left out: their sidecar agent would have been stopped too. */
export function targetsFromPods(pods: readonly V1Pod[], ep: Endpoint): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  for (const p of pods) {
    const m = p.metadata;
    const ip = p.status?.podIP;
    if (!m?.name || !ip || p.status?.phase !== 'Running' || m.deletionTimestamp) continue;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    out.push({ id: `${m.namespace ?? '-'}/${m.name}/${m.uid ?? '-'}`, url: `http://${host}:${ep.port}${ep.path}`, key: m.name });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key) || a.id.localeCompare(b.id));
}

/** A target whose URL changed (same pod, new IP) counts as removed and added: it is a different endpoint. */
export function diffTargets(prev: readonly ScrapeTarget[], next: readonly ScrapeTarget[]): { added: ScrapeTarget[]; removed: ScrapeTarget[] } {
  const sig = (t: ScrapeTarget) => `${t.id} ${t.url}`;
  const before = new Set(prev.map(sig));
  const after = new Set(next.map(sig));
  return { added: next.filter((t) => !before.has(sig(t))), removed: prev.filter((t) => !after.has(sig(t))) };
}

export class Discovery {
  refreshes = 0;
  errors = 0;
  private current: readonly ScrapeTarget[] = [];
  private readonly throttle = new LogThrottle(30_000);
  private readonly loop: PeriodicLoop;

  constructor(private readonly lister: PodLister, private readonly opts: Endpoint & { refreshMs: number }, clock: Clock, private readonly log: Logger) {
    // refresh() does not throw; onError is only the loop's contract.
    this.loop = new PeriodicLoop(clock, { everyMs: opts.refreshMs, waitFirst: true, onError: (e) => this.log.warn('pod discovery failed', { error: errorMessage(e) }) }, () => this.refresh());
  }

  get targets(): readonly ScrapeTarget[] {
    return this.current;
  }

  /** Never throws: on a failed list the last known targets stay, because the API server is itself loaded
   *  during the flood and a sidecar agent would not have depended on it to keep scraping. */
  async refresh(): Promise<void> {
    this.refreshes++;
    try {
      const next = targetsFromPods(await this.lister.list(), this.opts);
      const { added, removed } = diffTargets(this.current, next);
      this.current = next;
      if (added.length || removed.length) this.log.info('scrape targets changed', { added: added.map((t) => t.key), removed: removed.map((t) => t.key), targets: next.length });
    } catch (e) {
      this.errors++;
      const suppressed = this.throttle.pass('list');
      if (suppressed !== undefined) this.log.warn('pod discovery failed; keeping the last targets', { error: errorMessage(e), targets: this.current.length, suppressed });
    }
  }

  /** Refreshes every refreshMs from now on; call refresh() first so the first scrape has targets. */
  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
