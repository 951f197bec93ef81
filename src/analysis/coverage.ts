// Where the recorder was blind. Three kinds: gaps the recorder wrote itself (a watch that errored and
// relisted, a sampler that failed), silences analysis infers from a periodic stream that simply
// stopped (a sampler starved of CPU during the flood writes nothing, not even a gap), and in-pod programs
// that stopped answering the recorder's polls (their counters are unseen, and the program may be hung). Metrics ask
// "was anything that feeds me blind in this window?" and answer Unknown when it was.
import type { GapRecord, HistoryRecord, RecordType } from '../history/records.ts';
import { RECORD_TYPES } from '../history/records.ts';
import { median } from './stats.ts';
import { ts } from './timeline.ts';

export interface BlindSpot {
  /** The lab part that was blind. */
  source: string;
  from: number;
  to: number;
  /** Still open when the history ends (the recorder never closed it). */
  open: boolean;
  reason: string;
  error?: string;
  affects: RecordType[];
  node?: string;
  /** The cluster whose part was blind, in a split-cluster run; absent: the whole lab's. */
  cluster?: number;
  /** True when analysis inferred it from silence; false when the recorder wrote it. */
  inferred: boolean;
}

/** Streams that sample on a period; a silence several periods long in one of them is a blind spot. */
const PERIODIC: ReadonlySet<RecordType> = new Set<RecordType>([
  'cpu',
  'consul-members',
  'consul-latency',
  'vault-latency',
  'runtime-latency',
  // Lease renewals are not here: a kubelet that stops renewing is the finding, not a blind recorder.
  'kubelet-pleg',
  'host-load',
  'vault-health',
  'kafka',
  'consul-telemetry',
  'traffic',
  'lb',
]);
// Pod and container cgroups come and go with their pods; their silence is not blindness.
const NODE_LEVEL_CPU = new Set(['node', 'runtime', 'kubelet', 'shims', 'pods']);

/** Words in a gap's source naming what it watched, for gaps from a part that wrote no other record. */
const KEYWORDS: [RegExp, RecordType[]][] = [
  [/node/, ['node']],
  [/pod/, ['pod']],
  [/event/, ['k8s-event']],
  [/cpu|cgroup/, ['cpu']],
  [/consul.*(member|pool)|member/, ['consul-members']],
  [/consul.*(lat|kv|probe)/, ['consul-latency']],
  [/telemetry|gossip/, ['consul-telemetry']],
  [/vault/, ['vault-latency', 'vault-health']],
  [/kafka/, ['kafka']],
  [/shipper/, ['shipper']],
  [/app|devenv/, ['app']],
  [/loadgen|traffic/, ['traffic']],
  [/^lb\b|haproxy/, ['lb']],
  [/lease/, ['node-lease']],
  [/pleg/, ['kubelet-pleg']],
  [/^sampler\/host$|host-load/, ['host-load']],
];

export interface CoverageOptions {
  /** A periodic stream silent for longer than max(factor × its median period, minMs) is a blind spot. */
  silenceFactor?: number;
  silenceMinMs?: number;
}

export class Coverage {
  constructor(readonly spots: readonly BlindSpot[]) {}

  /** Blind spots feeding `types` that overlap [from, to) (for a node-specific question, that node's or all-node ones). */
  overlapping(types: readonly RecordType[], from: number, to: number, node?: string): BlindSpot[] {
    return this.spots.filter(
      (s) =>
        s.from < to &&
        s.to > from &&
        s.affects.some((t) => types.includes(t)) &&
        (node === undefined || s.node === undefined || s.node === node),
    );
  }

  /** One line naming the first blind spot and how many more, for an Unknown's reason. */
  static describe(spots: readonly BlindSpot[], t0: number): string {
    if (spots.length === 0) return '';
    const s = spots[0]!;
    const rel = (x: number) => relLabel(x - t0);
    const more = spots.length > 1 ? ` (+${spots.length - 1} more)` : '';
    return `${s.inferred ? 'silence in' : 'gap in'} ${s.source}${s.cluster !== undefined ? ` of cluster ${s.cluster}` : ''}${s.node ? ` (${s.node})` : ''} ${rel(s.from)}..${s.open ? 'end' : rel(s.to)}: ${s.reason}${more}`;
  }
}

/** "T+3m05s" / "T-1m30s": relative to the run's origin (the cut). */
export function relLabel(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const s = Math.round(Math.abs(ms) / 1000);
  const m = Math.floor(s / 60);
  return `T${sign}${m}m${String(s % 60).padStart(2, '0')}s`;
}

export function buildCoverage(sorted: readonly HistoryRecord[], historyEnd: number, opts: CoverageOptions = {}): Coverage {
  const typesBySource = new Map<string, Set<RecordType>>();
  for (const r of sorted) {
    if (r.type === 'gap' || r.type === 'note' || r.type === 'meta' || r.type === 'phase' || r.type === 'fault') continue;
    let set = typesBySource.get(r.source);
    if (!set) typesBySource.set(r.source, (set = new Set()));
    set.add(r.type);
  }
  const spots = [...recordedGaps(sorted, historyEnd, typesBySource), ...inferredSilences(sorted, historyEnd, opts), ...unansweredPolls(sorted, opts)];
  spots.sort((a, b) => a.from - b.from);
  return new Coverage(spots);
}

function recordedGaps(sorted: readonly HistoryRecord[], historyEnd: number, typesBySource: Map<string, Set<RecordType>>): BlindSpot[] {
  // The recorder writes a gap when it opens (no `to`) and again when it closes; the closed one wins.
  const byKey = new Map<string, GapRecord>();
  for (const r of sorted) {
    if (r.type !== 'gap') continue;
    const key = `${r.source}\u0000${r.from}\u0000${r.node ?? ''}\u0000${r.cluster ?? ''}`;
    const prev = byKey.get(key);
    if (!prev || (r.to && !prev.to) || (r.to && prev.to && Date.parse(r.to) > Date.parse(prev.to))) byKey.set(key, r);
  }
  const out: BlindSpot[] = [];
  for (const g of byKey.values()) {
    const from = Date.parse(g.from);
    if (!Number.isFinite(from)) continue;
    const to = g.to ? Date.parse(g.to) : historyEnd;
    out.push({
      source: g.source,
      from,
      to: Math.max(from, Number.isFinite(to) ? to : historyEnd),
      open: !g.to,
      reason: g.reason,
      ...(g.error ? { error: g.error } : {}),
      affects: g.affects?.length ? [...g.affects] : affectsOf(g.source, typesBySource),
      ...(g.node ? { node: g.node } : {}),
      ...(g.cluster !== undefined ? { cluster: g.cluster } : {}),
      inferred: false,
    });
  }
  return out;
}

/**
 * Stretches in which an in-pod program's polls all failed (`reachable: 0`) for at least the silence
 * minimum: a shipper whose event loop froze still has a Running pod, so nothing else would show that its
 * counters, and maybe its work, stopped. One spot per pod and stretch; a stretch still failing at the
 * last poll is open.
 */
function unansweredPolls(sorted: readonly HistoryRecord[], opts: CoverageOptions): BlindSpot[] {
  const minMs = opts.silenceMinMs ?? 10_000;
  const polls = new Map<string, { type: 'shipper' | 'app'; source: string; pod: string; node?: string; cluster?: number; seen: { t: number; ok: boolean }[] }>();
  for (const r of sorted) {
    if ((r.type !== 'shipper' && r.type !== 'app') || typeof r.counters?.reachable !== 'number') continue;
    const key = `${r.type}\u0000${r.source}\u0000${r.pod}\u0000${r.cluster ?? ''}`;
    let p = polls.get(key);
    if (!p) polls.set(key, (p = { type: r.type, source: r.source, pod: r.pod, ...(r.node ? { node: r.node } : {}), ...(r.cluster !== undefined ? { cluster: r.cluster } : {}), seen: [] }));
    p.seen.push({ t: ts(r), ok: r.counters.reachable === 1 });
  }
  const out: BlindSpot[] = [];
  for (const p of polls.values()) {
    const what = p.source.replace(/^probe\//, '');
    let from: number | null = null;
    let count = 0;
    const close = (to: number, open: boolean) => {
      if (from !== null && to - from >= minMs) {
        out.push({
          source: p.source,
          from,
          to,
          open,
          reason: `${what} of pod ${p.pod} did not answer ${count} poll(s) in a row for ${Math.round((to - from) / 1000)} s while its pod ran`,
          affects: [p.type],
          ...(p.node ? { node: p.node } : {}),
          ...(p.cluster !== undefined ? { cluster: p.cluster } : {}),
          inferred: false,
        });
      }
      from = null;
      count = 0;
    };
    for (const s of p.seen) {
      if (s.ok) close(s.t, false);
      else {
        if (from === null) from = s.t;
        count++;
      }
    }
    const last = p.seen[p.seen.length - 1]!;
    if (!last.ok) close(last.t, true);
  }
  return out;
}

function affectsOf(source: string, typesBySource: Map<string, Set<RecordType>>): RecordType[] {
  const types = new Set<RecordType>();
  // 'watch/pods/default' blinds what 'watch/pods' writes, and the other way round.
  for (const [s, set] of typesBySource) {
    if (s === source || source.startsWith(`${s}/`) || s.startsWith(`${source}/`)) for (const t of set) types.add(t);
  }
  if (types.size === 0) {
    const lower = source.toLowerCase();
    for (const [re, ts] of KEYWORDS) if (re.test(lower)) ts.forEach((t) => types.add(t));
  }
  // A gap from a part we cannot place (the recorder as a whole, a restart) blinds everything.
  return types.size ? [...types] : RECORD_TYPES.filter((t) => !['gap', 'note', 'meta', 'phase', 'fault'].includes(t));
}

function inferredSilences(sorted: readonly HistoryRecord[], historyEnd: number, opts: CoverageOptions): BlindSpot[] {
  const factor = opts.silenceFactor ?? 5;
  const minMs = opts.silenceMinMs ?? 10_000;
  // Silence after the recorder began to stop is the wind-down, not blindness.
  const stopping = sorted.find((r) => r.type === 'note' && r.source === 'recorder' && r.text === 'recorder stopping');
  const observedUntil = stopping ? Math.min(historyEnd, ts(stopping)) : historyEnd;
  const streams = new Map<string, { type: RecordType; source: string; node?: string; cluster?: number; times: number[] }>();
  for (const r of sorted) {
    if (!PERIODIC.has(r.type)) continue;
    let node: string | undefined;
    // Two clusters' probes write the same type from the same source: one cluster's silence must not hide in the other's samples.
    let key = r.cluster === undefined ? `${r.type}\u0000${r.source}` : `${r.type}\u0000${r.source}\u0000c${r.cluster}`;
    if (r.type === 'cpu') {
      if (!NODE_LEVEL_CPU.has(r.scope)) continue;
      node = r.node;
      key += `\u0000${r.node}\u0000${r.scope}`;
    } else if (r.type === 'runtime-latency' || r.type === 'kubelet-pleg') {
      // One probe per node: a node whose runtime stopped answering must not hide behind the others' samples.
      node = r.node;
      key += `\u0000${r.node}`;
    } else if (r.type === 'consul-members' || r.type === 'consul-telemetry') {
      key += `\u0000${r.observer}`;
    }
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { type: r.type, source: r.source, ...(node ? { node } : {}), ...(r.cluster !== undefined ? { cluster: r.cluster } : {}), times: [] }));
    s.times.push(ts(r));
  }
  const out: BlindSpot[] = [];
  for (const s of streams.values()) {
    const times = [...new Set(s.times)];
    if (times.length < 3) continue;
    const deltas = times.slice(1).map((t, i) => t - times[i]!);
    const period = median(deltas);
    const limit = Math.max(factor * period, minMs);
    const spot = (from: number, to: number, open: boolean): BlindSpot => ({
      source: s.source,
      from,
      to,
      open,
      reason: `no ${s.type} record for ${Math.round((to - from) / 1000)} s (period ${Math.round(period)} ms)`,
      affects: [s.type],
      ...(s.node ? { node: s.node } : {}),
      ...(s.cluster !== undefined ? { cluster: s.cluster } : {}),
      inferred: true,
    });
    for (let i = 1; i < times.length; i++) {
      if (times[i]! - times[i - 1]! > limit) out.push(spot(times[i - 1]!, times[i]!, false));
    }
    const last = times[times.length - 1]!;
    if (observedUntil - last > limit) out.push(spot(last, observedUntil, true));
  }
  // Several scopes of one node's sampler fall silent together: keep one spot per source, node and window.
  const seen = new Set<string>();
  return out.filter((s) => {
    const k = `${s.source}\u0000${s.node ?? ''}\u0000${s.cluster ?? ''}\u0000${s.from}\u0000${s.to}\u0000${s.affects.join()}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
