// Where the log lines went: written by the apps, delivered to Kafka, dropped by a bounded shipper,
// still buffered at the end, or lost with a pod that was deleted while holding a buffer. The last two
// are what a naive shipper risks; the balance ("unaccounted") is whatever none of the counters explain.
import type { AppRecord, HistoryRecord, KafkaRecord, ShipperRecord } from '../history/records.ts';
import { Coverage } from './coverage.ts';
import { endedAt, type PodLife } from './pods.ts';
import { spanPhases, ts, type Timeline } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

/** Counter names as the apps and shippers publish them, newest first; older spellings still read. */
const WRITTEN = ['log_lines_total', 'linesWritten', 'lines_written'];
const SENT = ['lines_sent_total', 'sent', 'linesSent'];
const DROPPED = ['lines_dropped_total', 'dropped', 'droppedLines'];
const BUFFERED = ['buffer_lines', 'bufferedLines', 'buffered'];

const pick = (c: Record<string, number> | undefined, names: string[]): number | undefined => {
  if (!c) return undefined;
  for (const n of names) if (typeof c[n] === 'number' && Number.isFinite(c[n])) return c[n];
  return undefined;
};

export interface PodDelivery {
  pod: string;
  written: number | null;
  delivered: number | null;
  /** From the shipper that carried this pod's logs (the sidecar); null in the DaemonSet variant. */
  dropped: number | null;
  bufferedAtEnd: number | null;
  /** The pod ended (deleted/evicted) while its shipper still held lines. */
  lostWithPod: number | null;
}

export interface DeliveryMetrics {
  written: Maybe<number>;
  delivered: Maybe<number>;
  /** Shippers' own count of lines never sent (drop-oldest, full buffer). */
  dropped: Maybe<number>;
  /** Lines still buffered in shippers alive at the end. */
  bufferedAtEnd: Maybe<number>;
  /** Lines buffered by shippers whose pod ended: gone with the pod's memory. */
  lostWithPods: Maybe<number>;
  /** written - delivered - dropped - buffered - lost: what no counter explains (negative: over-delivery). */
  unaccounted: Maybe<number>;
  deliveredRatio: Maybe<number>;
  /** Most lines held by all shippers together at one sample: the backlog the flood has to move. */
  peakBuffered: Maybe<number>;
  /** Highest delivery rate seen (lines/s): how hard the flood hit Kafka and the node. */
  peakDeliveredRate: Maybe<number>;
  /** Write-to-Kafka delay, from the consumer's per-record summaries. */
  delayMs: Maybe<{ p50: number; p99Max: number; max: number }>;
  delayP99ByPhase: Record<string, Maybe<number>>;
  perPod: PodDelivery[];
  /** Shippers whose pod name is not an app pod (DaemonSet shippers), with their counters at the end. */
  shippers: { pod: string; sent: number | null; dropped: number | null; bufferedAtEnd: number | null; ended: boolean }[];
}

export interface DeliverySeries {
  /** Lines per second received by Kafka's consumer. */
  deliveredRate: [number, number][];
  backlog: [number, number][];
  /** Sum of shipper buffers at each shipper sample time. */
  buffered: [number, number][];
}

/** Total of a cumulative counter that restarts from zero when its container restarts. */
function cumulative(values: number[]): number {
  let total = 0;
  let last = 0;
  for (const v of values) {
    if (v < last) total += last;
    last = v;
  }
  return total + last;
}

export function deliveryAnalysis(
  sorted: readonly HistoryRecord[],
  lives: Map<string, PodLife>,
  timeline: Timeline,
  coverage: Coverage,
): { metrics: DeliveryMetrics; series: DeliverySeries } {
  const apps = sorted.filter((r): r is AppRecord => r.type === 'app');
  const kafkaAll = sorted.filter((r): r is KafkaRecord => r.type === 'kafka');
  // Metrics travel on their own topic; only log lines count as delivery.
  const kafka = kafkaAll.some((r) => r.topic === 'logs') ? kafkaAll.filter((r) => r.topic === 'logs') : kafkaAll;
  // The metrics agent reports through the same pipeline counters (lines_sent_total, buffer_lines...) and,
  // as a sidecar, under the app pod's name: its samples are not log lines and would replace the log
  // shipper's counters for that pod. A record without a component predates the field: a log shipper.
  const shippers = sorted.filter((r): r is ShipperRecord => r.type === 'shipper' && (r.component ?? 'shipper') === 'shipper');

  const writtenByPod = new Map<string, number[]>();
  for (const r of apps) {
    const v = pick(r.counters, WRITTEN);
    if (v === undefined) continue;
    let l = writtenByPod.get(r.pod);
    if (!l) writtenByPod.set(r.pod, (l = []));
    l.push(v);
  }
  const deliveredByPod = new Map<string, number>();
  for (const r of kafka) for (const [pod, n] of Object.entries(r.received ?? {})) deliveredByPod.set(pod, (deliveredByPod.get(pod) ?? 0) + n);

  const lastShipper = new Map<string, ShipperRecord>();
  const sentSeries = new Map<string, number[]>();
  const droppedSeries = new Map<string, number[]>();
  for (const r of shippers) {
    lastShipper.set(r.pod, r);
    const s = pick(r.counters, SENT);
    const d = pick(r.counters, DROPPED);
    if (s !== undefined) (sentSeries.get(r.pod) ?? sentSeries.set(r.pod, []).get(r.pod)!).push(s);
    if (d !== undefined) (droppedSeries.get(r.pod) ?? droppedSeries.set(r.pod, []).get(r.pod)!).push(d);
  }
  const podByName = new Map<string, PodLife>();
  for (const p of lives.values()) podByName.set(p.name, p);
  const shipperEnded = (pod: string) => {
    const p = podByName.get(pod);
    return p !== undefined && (endedAt(p) !== undefined || p.goneAt !== undefined);
  };

  const appPods = new Set([...writtenByPod.keys(), ...deliveredByPod.keys()]);
  const perPod: PodDelivery[] = [...appPods].sort().map((pod) => {
    const sh = lastShipper.get(pod);
    const buffered = sh ? pick(sh.counters, BUFFERED) ?? null : null;
    const ended = shipperEnded(pod);
    return {
      pod,
      written: writtenByPod.has(pod) ? cumulative(writtenByPod.get(pod)!) : null,
      delivered: deliveredByPod.get(pod) ?? (kafka.length ? 0 : null),
      dropped: droppedSeries.has(pod) ? cumulative(droppedSeries.get(pod)!) : null,
      bufferedAtEnd: buffered !== null && !ended ? buffered : null,
      lostWithPod: buffered !== null && ended ? buffered : null,
    };
  });
  const shipperRows = [...lastShipper.keys()]
    .filter((p) => !appPods.has(p))
    .sort()
    .map((pod) => ({
      pod,
      sent: sentSeries.has(pod) ? cumulative(sentSeries.get(pod)!) : null,
      dropped: droppedSeries.has(pod) ? cumulative(droppedSeries.get(pod)!) : null,
      bufferedAtEnd: pick(lastShipper.get(pod)!.counters, BUFFERED) ?? null,
      ended: shipperEnded(pod),
    }));

  const from = timeline.phases[0]?.from ?? timeline.start;
  const blindOf = (types: Parameters<Coverage['overlapping']>[0]) => coverage.overlapping(types, from, timeline.end);
  const total = (
    present: boolean,
    what: string,
    types: Parameters<Coverage['overlapping']>[0],
    v: number,
    bound: 'lower' | 'upper' | undefined = 'lower',
  ): Maybe<number> => {
    if (!present) return unknown(`no ${what} in the history`);
    const b = blindOf(types);
    return b.length ? unknown(`${what} blind: ${Coverage.describe(b, timeline.t0)}`, v, bound) : v;
  };
  const sum = (xs: (number | null)[]) => xs.reduce<number>((s, x) => s + (x ?? 0), 0);
  const droppedTotal = sum(perPod.map((p) => p.dropped)) + sum(shipperRows.map((s) => s.dropped));
  const bufferedTotal = sum(perPod.map((p) => p.bufferedAtEnd)) + sum(shipperRows.filter((s) => !s.ended).map((s) => s.bufferedAtEnd));
  const lostTotal = sum(perPod.map((p) => p.lostWithPod)) + sum(shipperRows.filter((s) => s.ended).map((s) => s.bufferedAtEnd));
  const written = total(writtenByPod.size > 0, 'app line counters', ['app'], sum(perPod.map((p) => p.written)));
  const delivered = total(kafka.length > 0, 'Kafka consumer counts', ['kafka'], sum(perPod.map((p) => p.delivered)));
  const dropped = total(shippers.length > 0, 'shipper counters', ['shipper'], droppedTotal);
  const bufferedAtEnd = total(shippers.length > 0, 'shipper counters', ['shipper'], bufferedTotal, undefined);
  const lostWithPods = total(shippers.length > 0, 'shipper counters', ['shipper'], lostTotal);
  const parts = [written, delivered, dropped, bufferedAtEnd, lostWithPods];
  const unaccounted: Maybe<number> = parts.every((p) => typeof p === 'number')
    ? (written as number) - (delivered as number) - (dropped as number) - (bufferedAtEnd as number) - (lostWithPods as number)
    : unknown('needs written, delivered, dropped, buffered and lost all known');
  const deliveredRatio: Maybe<number> =
    typeof written === 'number' && typeof delivered === 'number'
      ? written > 0
        ? delivered / written
        : unknown('no lines written')
      : unknown('needs written and delivered known');

  const withDelay = kafka.filter((r) => r.delay && r.delay.count > 0);
  let delayMs: DeliveryMetrics['delayMs'];
  const delayP99ByPhase: Record<string, Maybe<number>> = {};
  if (withDelay.length === 0) delayMs = unknown('the Kafka consumer recorded no delivery delays');
  else {
    // Quantiles of summaries cannot be merged exactly: the count-weighted median of p50s and the worst p99.
    const byP50 = [...withDelay].sort((a, b) => a.delay!.p50Ms - b.delay!.p50Ms);
    const half = byP50.reduce((s, r) => s + r.delay!.count, 0) / 2;
    let acc = 0;
    let p50 = byP50[0]!.delay!.p50Ms;
    for (const r of byP50) {
      acc += r.delay!.count;
      p50 = r.delay!.p50Ms;
      if (acc >= half) break;
    }
    delayMs = {
      p50,
      p99Max: Math.max(...withDelay.map((r) => r.delay!.p99Ms)),
      max: Math.max(...withDelay.map((r) => r.delay!.maxMs)),
    };
    for (const p of spanPhases(timeline)) {
      const inP = withDelay.filter((r) => ts(r) >= p.from && ts(r) < p.to);
      delayP99ByPhase[p.label] = inP.length ? Math.max(...inP.map((r) => r.delay!.p99Ms)) : unknown(`no delivery in ${p.label}`);
    }
  }

  const deliveredRate: [number, number][] = [];
  for (let i = 1; i < kafka.length; i++) {
    const dt = (ts(kafka[i]!) - ts(kafka[i - 1]!)) / 1000;
    if (dt <= 0) continue;
    const n = Object.values(kafka[i]!.received ?? {}).reduce((s, x) => s + x, 0);
    deliveredRate.push([ts(kafka[i]!), n / dt]);
  }
  const backlog: [number, number][] = kafka.filter((r) => typeof r.backlog === 'number').map((r) => [ts(r), r.backlog!]);
  const current = new Map<string, number>();
  const buffered: [number, number][] = [];
  for (const r of shippers) {
    const b = pick(r.counters, BUFFERED);
    if (b === undefined) continue;
    current.set(r.pod, b);
    const t = ts(r);
    // A deleted shipper's last buffer is gone, not still waiting: it leaves the sum when its pod ends.
    for (const pod of current.keys()) {
      const p = podByName.get(pod);
      const end = p ? endedAt(p) ?? p.goneAt : undefined;
      if (end !== undefined && end <= t) current.delete(pod);
    }
    const v = [...current.values()].reduce((s, x) => s + x, 0);
    if (buffered.length && buffered[buffered.length - 1]![0] === t) buffered[buffered.length - 1]![1] = v;
    else buffered.push([t, v]);
  }
  const peakOf = (pts: [number, number][], present: boolean, what: string, types: Parameters<Coverage['overlapping']>[0]): Maybe<number> =>
    total(present && pts.length > 0, what, types, pts.reduce((m, [, v]) => Math.max(m, v), 0));
  const peakBuffered = peakOf(buffered, shippers.length > 0, 'shipper buffer counters', ['shipper']);
  const peakDeliveredRate = peakOf(deliveredRate, kafka.length > 1, 'Kafka consumer counts', ['kafka']);
  return {
    metrics: { written, delivered, dropped, bufferedAtEnd, lostWithPods, unaccounted, deliveredRatio, peakBuffered, peakDeliveredRate, delayMs, delayP99ByPhase, perPod, shippers: shipperRows },
    series: { deliveredRate, backlog, buffered },
  };
}
