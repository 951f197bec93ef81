import type * as k8s from '@kubernetes/client-node';
import { parsePrometheusText, type Sample } from '../apps/metrics-agent/prom-text.ts';
import type { HistogramSample, KubeletPlegRecord, RecordInput } from '../history/records.ts';
import { NodeGaps, NodeNames } from './kubelet-sweep.ts';

/**
 * The kubelet's PLEG metrics from its /metrics page, through the API server's node proxy
 * (`/api/v1/nodes/<node>/proxy/metrics`): how long each relist through the runtime took, how far apart
 * relists were, and when the PLEG was last active. With dockershim every relist asks dockerd, and no
 * relist for 3 minutes (`relistThreshold`) is "PLEG is not healthy", which makes the node NotReady: these
 * are the numbers behind that message.
 *
 * Names: Kubernetes 1.23 and 1.34 both expose the three metrics under the names below (checked in
 * pkg/kubelet/metrics/metrics.go of both); kubelets before 1.14 had `..._latency_microseconds` summaries
 * instead, which this lab does not run. A metric missing from the page is recorded as absent.
 */
export const KUBELET_PLEG_SOURCE = 'sampler/kubelet-pleg';

/** Scenario-independent: the relist runs every second, 5 s keeps the relist p99 per phase well sampled
 *  without the page (100s of KB on a busy kubelet) loading the API server much. */
export const PLEG_SAMPLE_PERIOD_MS = 5_000;
const REQUEST_TIMEOUT_MS = 4_000;

export const PLEG_METRICS = {
  relistDuration: 'kubelet_pleg_relist_duration_seconds',
  relistInterval: 'kubelet_pleg_relist_interval_seconds',
  lastSeen: 'kubelet_pleg_last_seen_seconds',
} as const;

/** The one histogram `name` on the page (buckets, sum, count), or undefined when any part is missing. */
export function histogramOf(samples: readonly Sample[], name: string): HistogramSample | undefined {
  const sum = samples.find((s) => s.name === `${name}_sum`)?.value;
  const count = samples.find((s) => s.name === `${name}_count`)?.value;
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket` && s.labels.le !== undefined)
    .map((s) => [s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value] as [number, number])
    .filter(([le, v]) => !Number.isNaN(le) && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  if (sum === undefined || count === undefined || !Number.isFinite(count) || buckets.length === 0) return undefined;
  return { buckets: buckets.filter(([le]) => Number.isFinite(le)), sum, count };
}

/** The PLEG part of one kubelet's /metrics page, as a record (without ts/seq). */
export function plegRecord(node: string, text: string): RecordInput {
  // Only the PLEG lines are parsed: the rest of the page is large and of no use here.
  const lines = text.split('\n').filter((l) => l.startsWith('kubelet_pleg_'));
  const { samples } = parsePrometheusText(lines.join('\n'));
  const relistDuration = histogramOf(samples, PLEG_METRICS.relistDuration);
  const relistInterval = histogramOf(samples, PLEG_METRICS.relistInterval);
  const lastSeen = samples.find((s) => s.name === PLEG_METRICS.lastSeen)?.value;
  const lastSeenS = lastSeen !== undefined && Number.isFinite(lastSeen) ? lastSeen : undefined;
  const absent = [
    ...(relistDuration ? [] : [PLEG_METRICS.relistDuration]),
    ...(relistInterval ? [] : [PLEG_METRICS.relistInterval]),
    ...(lastSeenS !== undefined ? [] : [PLEG_METRICS.lastSeen]),
  ];
  const r: Omit<KubeletPlegRecord, 'ts' | 'seq'> = {
    type: 'kubelet-pleg',
    source: KUBELET_PLEG_SOURCE,
    node,
    ...(relistDuration ? { relistDuration } : {}),
    ...(relistInterval ? { relistInterval } : {}),
    ...(lastSeenS !== undefined ? { lastSeenS } : {}),
    ...(absent.length ? { absent } : {}),
  };
  return r;
}

/**
 * One cluster's kubelets, read every PLEG_SAMPLE_PERIOD_MS. Each node is on its own: a kubelet that does
 * not answer within the timeout is a gap for that node only (opened once, closed at its next answer), and
 * a request still hanging from an earlier sweep is not sent again, so a drowning kubelet gets at most one
 * request from the lab at a time.
 */
export class KubeletPlegSampler {
  readonly #names: NodeNames;
  readonly #gaps: NodeGaps;
  readonly #inFlight = new Set<string>();

  constructor(
    private readonly core: Pick<k8s.CoreV1Api, 'listNode' | 'connectGetNodeProxyWithPath'>,
    private readonly emit: (r: RecordInput) => void,
    private readonly opts: { nodes?: readonly string[]; timeoutMs?: number } = {},
  ) {
    this.#names = new NodeNames(core, opts.nodes);
    this.#gaps = new NodeGaps(KUBELET_PLEG_SOURCE, ['kubelet-pleg'], emit);
  }

  /** One sweep; resolves when every node answered, failed or timed out. */
  async sample(): Promise<void> {
    const nodes = await this.#names.get();
    await Promise.all(nodes.map((node) => this.#sampleNode(node)));
  }

  async #sampleNode(node: string): Promise<void> {
    if (this.#inFlight.has(node)) {
      this.#gaps.open(node, 'the previous /metrics request has not returned');
      return;
    }
    const timeoutMs = this.opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    this.#inFlight.add(node);
    const request = Promise.resolve()
      .then(() => this.core.connectGetNodeProxyWithPath({ name: node, path: 'metrics' }))
      .finally(() => this.#inFlight.delete(node));
    try {
      const body = (await Promise.race([
        request,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`metrics of ${node}: no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ])) as unknown;
      if (typeof body !== 'string' || !body.includes('# ')) throw new Error(`metrics of ${node}: not a Prometheus text page`);
      this.emit(plegRecord(node, body));
      this.#gaps.close(node);
    } catch (err) {
      // A request that lost the race must not surface later as an unhandled rejection.
      request.catch(() => {});
      this.#gaps.open(node, (err as Error).message);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
