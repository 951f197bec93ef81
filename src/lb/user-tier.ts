// What users felt, for one replay: the LB beside the cluster, a look at it every sample period, and the
// load generator's seconds, all into the run's history. The controller starts it once the workload is
// ready and stops it with the recorder; it never acts on the cluster (it only reads nodes for routes).
import type { CoreV1Api } from '@kubernetes/client-node';
import type { RecordInput } from '../history/records.ts';
import { Periodic } from '../recorder/periodic.ts';
import { runLoad, type LoadSummary } from '../traffic/loadgen.ts';
import { readLb } from './read.ts';
import { startLabLb, type LabLb } from './lab-lb.ts';

export interface UserTierOptions {
  image: string;
  core: CoreV1Api;
  clusterName: string;
  /** The Consul service the dev-env pods register (and the Host header users send). */
  service: string;
  ratePerSec: number;
  timeoutMs: number;
  serverChecks: boolean;
  /** Upper bound of the load: the run's remaining phases plus its end. */
  durationMs: number;
  samplePeriodMs: number;
  emit: (r: RecordInput) => void;
}

export class UserTier {
  readonly #abort = new AbortController();
  #load: Promise<LoadSummary | undefined> = Promise.resolve(undefined);
  #look: Periodic | undefined;

  private constructor(
    readonly lb: LabLb,
    private readonly o: UserTierOptions,
  ) {}

  static async start(o: UserTierOptions): Promise<UserTier> {
    const lb = await startLabLb({ image: o.image, core: o.core, clusterName: o.clusterName, serverChecks: o.serverChecks, timeoutMs: o.timeoutMs });
    const tier = new UserTier(lb, o);
    o.emit({ type: 'note', source: 'lb', text: `LB ${lb.container.name} on Docker network ${lb.network}, generating from Consul; users: ${o.ratePerSec} requests/s, timeout ${o.timeoutMs} ms, HAProxy checks ${o.serverChecks ? 'on' : 'off'}` });
    return tier;
  }

  /** Waits (bounded) until the LB lists at least `servers` servers: traffic should start on a converged LB. */
  async converged(servers: number, timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    let listed = 0;
    while (Date.now() < until) {
      const v = await readLb(this.lb.statsBase, this.o.service);
      listed = v.servers?.length ?? 0;
      if (listed >= servers) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    return listed;
  }

  begin(): void {
    const { o } = this;
    this.#look = new Periodic(
      o.samplePeriodMs,
      async () => o.emit({ ...(await readLb(this.lb.statsBase, o.service)), source: 'lb/stats' }),
      () => {},
    );
    this.#look.start();
    this.#load = runLoad({
      url: this.lb.trafficUrl,
      service: o.service,
      ratePerSec: o.ratePerSec,
      durationMs: o.durationMs,
      timeoutMs: o.timeoutMs,
      signal: this.#abort.signal,
      onSecond: (s) => o.emit({ ...s, source: 'loadgen' }),
    }).catch((err: unknown) => {
      o.emit({ type: 'note', source: 'loadgen', text: `load generator stopped: ${(err as Error).message}`, level: 'error' });
      return undefined;
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    const sum = await this.#load;
    await this.#look?.stop();
    if (sum) this.o.emit({ type: 'note', source: 'loadgen', text: `users sent ${sum.sent} requests through the LB, ${sum.ok} succeeded${sum.skipped ? `; ${sum.skipped} scheduled requests were skipped because the machine stalled the generator (unknown outcomes)` : ''}` });
    await this.lb.remove().catch(() => {});
  }
}
