import type { HistoryRecord } from '../history/records.ts';

/** A running summary of the history for the progress line; analysis proper happens after the run. */
export class LiveStatus {
  readonly #ready = new Map<string, boolean>();
  #steadyAt: string | undefined;
  #newPods = 0;
  #evicted = new Set<string>();
  /** Per observer: one pool, or one per cluster of a split run. */
  readonly #pools = new Map<string, string>();
  #vaultMs: number[] = [];
  #vaultErrors = 0;

  /** From here on, newly created pods count as moved: the workload was complete before. */
  markSteady(ts: string): void {
    this.#steadyAt = ts;
  }

  observe = (r: HistoryRecord): void => {
    switch (r.type) {
      case 'node':
        if (r.event === 'deleted') this.#ready.delete(r.name);
        else this.#ready.set(r.name, r.ready === true);
        break;
      case 'pod':
        if (this.#steadyAt && r.event === 'added' && r.ts > this.#steadyAt && r.ns === 'devenv') this.#newPods++;
        if (r.evicted) this.#evicted.add(r.uid);
        break;
      case 'consul-members':
        // A split run's observers are named after their cluster ("consul-server of outage-lab-b (via NodePort)").
        this.#pools.set(r.cluster === undefined ? '' : `${/ of (\S+) /.exec(r.observer)?.[1] ?? `cluster ${r.cluster}`} `, `${r.counts.alive} alive / ${r.counts.failed} failed / ${r.counts.left} left`);
        break;
      case 'vault-latency':
        if (r.ms !== undefined) this.#vaultMs.push(r.ms);
        else this.#vaultErrors++;
        if (this.#vaultMs.length > 30) this.#vaultMs.shift();
        break;
    }
  };

  line(): string {
    const ready = [...this.#ready.values()].filter(Boolean).length;
    const sorted = [...this.#vaultMs].sort((a, b) => a - b);
    const p99 = sorted.length ? `${Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!)} ms` : 'n/a';
    return [
      `nodes Ready ${ready}/${this.#ready.size}`,
      `pods moved ${this.#newPods}`,
      `evicted ${this.#evicted.size}`,
      this.#pools.size ? `pool ${[...this.#pools].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}${v}`).join(', ')}` : 'pool ?',
      `Vault p99 ${p99}${this.#vaultErrors ? ` (${this.#vaultErrors} errors)` : ''}`,
    ].join(' · ');
  }
}
