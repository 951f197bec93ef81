// Where the log lines went: written by the apps, delivered to Kafka, dropped by a bounded shipper,
// still buffered at the end, or lost with a pod that was deleted while holding a buffer. The last two
// are what a naive shipper risks; the balance ("unaccounted") is whatever none of the counters explain.
// Shippers deliver at least once: a batch whose ack was lost is sent again, and Kafka holds both copies.
// Delivered therefore counts distinct (pod, sequence number) lines from the recorder's final ledger, with
// the copies apart; a history without that ledger can only count messages received, copies included.
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
  /** Distinct lines (from the ledger), else messages received. */
  delivered: number | null;
  /** Copies received of lines Kafka already held; null without a ledger. */
  duplicates: number | null;
  /** From the shipper that carried this pod's logs (the sidecar); null in the DaemonSet variant. */
  dropped: number | null;
  bufferedAtEnd: number | null;
  /** The pod ended (deleted/evicted) while its shipper still held lines. */
  lostWithPod: number | null;
}

export interface DeliveryMetrics {
  /**
   * The apps' line counters at their last sample, or per pod the highest sequence number Kafka received
   * when that is higher: apps keep writing between their last sample and the recorder's stop, and a line
   * numbered N proves N were written. Without it, delivered read above 100 % (the backoff run: 100.5 %).
   */
  written: Maybe<number>;
  /** Distinct lines delivered when `deliveredBasis` is 'distinct'; every message received when 'received'. */
  delivered: Maybe<number>;
  deliveredBasis: 'distinct' | 'received';
  /** Copies of lines Kafka already held (a batch resent after a lost ack): at-least-once, not loss. */
  duplicates: Maybe<number>;
  /** Messages the consumer counted in its samples, copies and the apps' unnumbered lines included. */
  received: Maybe<number>;
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
  // The ledger is written once, when the recorder stops; it is a total, not a sample.
  const samples = kafka.filter((r) => r.delivered === undefined);
  const ledger = kafka.findLast((r) => r.delivered !== undefined && Object.keys(r.delivered).length > 0)?.delivered;
  const receivedByPod = new Map<string, number>();
  for (const r of samples) for (const [pod, n] of Object.entries(r.received ?? {})) receivedByPod.set(pod, (receivedByPod.get(pod) ?? 0) + n);
  // An app container that restarted numbers its lines from 1 again: in the ledger its new lines look like
  // copies of the old ones.
  const restarted = new Set([...writtenByPod].filter(([, vs]) => vs.some((v, i) => i > 0 && v < vs[i - 1]!)).map(([pod]) => pod));

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

  const appPods = new Set([...writtenByPod.keys(), ...receivedByPod.keys(), ...Object.keys(ledger ?? {})]);
  const perPod: PodDelivery[] = [...appPods].sort().map((pod) => {
    const sh = lastShipper.get(pod);
    const buffered = sh ? pick(sh.counters, BUFFERED) ?? null : null;
    const ended = shipperEnded(pod);
    const counted = writtenByPod.has(pod) ? cumulative(writtenByPod.get(pod)!) : null;
    const led = ledger?.[pod];
    return {
      pod,
      written: led && led.maxSeq > (counted ?? 0) ? led.maxSeq : counted,
      delivered: ledger ? (led?.unique ?? 0) : receivedByPod.get(pod) ?? (samples.length ? 0 : null),
      duplicates: ledger ? (led?.duplicates ?? 0) : null,
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
  // A pod whose app was never sampled shows only what reached Kafka: lines it wrote after those are unseen.
  const uncounted = perPod.filter((p) => !writtenByPod.has(p.pod) && p.written !== null).length;
  const written: Maybe<number> = uncounted
    ? unknown(`no app line counters for ${uncounted} pod(s): their lines written are only the highest sequence number Kafka received`, sum(perPod.map((p) => p.written)), 'lower')
    : total(writtenByPod.size > 0, 'app line counters', ['app'], sum(perPod.map((p) => p.written)));
  const received = total(samples.length > 0, 'Kafka consumer counts', ['kafka'], sum([...receivedByPod.values()]));
  const ambiguous = perPod.filter((p) => restarted.has(p.pod) && (p.duplicates ?? 0) > 0);
  const restartNote = `app container restarted in ${ambiguous.length} pod(s): their sequence numbers started again at 1, so some repeats there are new lines, not copies`;
  // The ledger is the consumer's own tally, kept through the sampler's silences: blind samples do not blind it.
  const delivered: Maybe<number> = !ledger
    ? received
    : ambiguous.length
      ? unknown(restartNote, sum(perPod.map((p) => p.delivered)), 'lower')
      : sum(perPod.map((p) => p.delivered));
  const duplicates: Maybe<number> = !ledger
    ? unknown('the history has no per-sequence ledger (the recorder\u2019s final Kafka record): received lines may include copies')
    : ambiguous.length
      ? unknown(restartNote, sum(perPod.map((p) => p.duplicates)), 'upper')
      : sum(perPod.map((p) => p.duplicates));
  const dropped = total(shippers.length > 0, 'shipper counters', ['shipper'], droppedTotal);
  const bufferedAtEnd = total(shippers.length > 0, 'shipper counters', ['shipper'], bufferedTotal, undefined);
  const lostWithPods = total(shippers.length > 0, 'shipper counters', ['shipper'], lostTotal);
  const parts = [written, delivered, dropped, bufferedAtEnd, lostWithPods];
  const unaccounted: Maybe<number> = parts.every((p) => typeof p === 'number')
    ? (written as number) - (delivered as number) - (dropped as number) - (bufferedAtEnd as number) - (lostWithPods as number)
    : unknown('needs written, delivered, dropped, buffered and lost all known');
  const deliveredRatio: Maybe<number> =
    typeof written !== 'number' || typeof delivered !== 'number'
      ? unknown('needs written and delivered known')
      : written <= 0
        ? unknown('no lines written')
        : !ledger && delivered > written
          ? unknown(`may include duplicates: ${delivered - written} lines received beyond written (copies of resent batches, or lines written after the apps' last counter sample); the history has no per-sequence ledger to tell them apart`)
          : delivered / written;

  const withDelay = samples.filter((r) => r.delay && r.delay.count > 0);
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
  for (let i = 1; i < samples.length; i++) {
    const dt = (ts(samples[i]!) - ts(samples[i - 1]!)) / 1000;
    if (dt <= 0) continue;
    const n = Object.values(samples[i]!.received ?? {}).reduce((s, x) => s + x, 0);
    deliveredRate.push([ts(samples[i]!), n / dt]);
  }
  const backlog: [number, number][] = samples.filter((r) => typeof r.backlog === 'number').map((r) => [ts(r), r.backlog!]);
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
  const peakDeliveredRate = peakOf(deliveredRate, samples.length > 1, 'Kafka consumer counts', ['kafka']);
  return {
    metrics: { written, delivered, deliveredBasis: ledger ? 'distinct' : 'received', duplicates, received, dropped, bufferedAtEnd, lostWithPods, unaccounted, deliveredRatio, peakBuffered, peakDeliveredRate, delayMs, delayP99ByPhase, perPod, shippers: shipperRows },
    series: { deliveredRate, backlog, buffered },
  };
}
