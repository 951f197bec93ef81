// Reading what Consul and Docker say about a pool: pure parsing and summing, so the numbers a cell
// records can be checked against fixed inputs.

/** One entry of /v1/agent/metrics' Counters or Samples (go-metrics' in-memory sink, one 10 s interval). */
export interface AggregateMetric {
  Name: string;
  Count: number;
  Sum: number;
  Mean?: number;
  Max?: number;
}

export interface AgentMetrics {
  Timestamp: string;
  Gauges?: Array<{ Name: string; Value: number }>;
  Counters?: AggregateMetric[];
  Samples?: AggregateMetric[];
}

export interface MetricTotal {
  /** Events in all the intervals seen. */
  count: number;
  sum: number;
  /** Intervals the metric appeared in. */
  intervals: number;
}

/** Consul prefixes the gossip libraries' metrics with its own name ("consul.memberlist.gossip"); the figures use the libraries' names. */
export function gossipName(name: string): string {
  return name.replace(/^consul\.(?=(memberlist|serf)\.)/, '');
}

/**
 * Sums counters and samples over distinct intervals: the endpoint answers the last finished interval, so
 * two polls within one interval return the same numbers, which must count once.
 */
export function sumIntervals(snapshots: AgentMetrics[]): { intervals: number; totals: Record<string, MetricTotal> } {
  const seen = new Set<string>();
  const totals: Record<string, MetricTotal> = {};
  for (const s of snapshots) {
    if (seen.has(s.Timestamp)) continue;
    seen.add(s.Timestamp);
    for (const m of [...(s.Counters ?? []), ...(s.Samples ?? [])]) {
      const t = (totals[gossipName(m.Name)] ??= { count: 0, sum: 0, intervals: 0 });
      t.count += m.Count;
      t.sum += m.Sum;
      t.intervals += 1;
    }
  }
  return { intervals: seen.size, totals };
}

/** The gossip figures a cell reports, per minute and per event, from one agent's summed telemetry. */
export interface GossipFigures {
  /** Push/pull exchanges this agent started per minute (memberlist.pushPullNode). */
  pushPullPerMin: number | null;
  /** Their mean duration in ms. */
  pushPullMeanMs: number | null;
  /** Bytes this agent sent over TCP per push/pull it started or answered (memberlist.tcp.sent / (tcp.accept + pushPullNode)). */
  pushPullBytes: number | null;
  suspectPerMin: number | null;
  deadPerMin: number | null;
  alivePerMin: number | null;
  /** Gossip rounds' mean duration in ms (memberlist.gossip). */
  gossipMeanMs: number | null;
  /** UDP bytes sent per minute. */
  udpSentPerMin: number | null;
}

export function gossipFigures(totals: Record<string, MetricTotal>, intervals: number, intervalS = 10): GossipFigures {
  const minutes = (intervals * intervalS) / 60;
  const perMin = (name: string) => (minutes > 0 && totals[name] ? totals[name]!.count / minutes : totals[name] ? null : minutes > 0 ? 0 : null);
  const mean = (name: string) => (totals[name] && totals[name]!.count > 0 ? totals[name]!.sum / totals[name]!.count : null);
  const sumPerMin = (name: string) => (minutes > 0 && totals[name] ? totals[name]!.sum / minutes : null);
  const pushPulls = (totals['memberlist.pushPullNode']?.count ?? 0) + (totals['memberlist.tcp.accept']?.count ?? 0);
  const tcpSent = totals['memberlist.tcp.sent']?.sum;
  return {
    pushPullPerMin: perMin('memberlist.pushPullNode'),
    pushPullMeanMs: mean('memberlist.pushPullNode'),
    pushPullBytes: tcpSent !== undefined && pushPulls > 0 ? tcpSent / pushPulls : null,
    suspectPerMin: perMin('memberlist.msg.suspect'),
    deadPerMin: perMin('memberlist.msg.dead'),
    alivePerMin: perMin('memberlist.msg.alive'),
    gossipMeanMs: mean('memberlist.gossip'),
    udpSentPerMin: sumPerMin('memberlist.udp.sent'),
  };
}

const UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3, TB: 1e12, TiB: 1024 ** 4 };

export function parseSize(text: string): number | null {
  const m = /^([\d.]+)\s*([A-Za-z]+)$/.exec(text.trim());
  if (!m || UNITS[m[2]!] === undefined) return null;
  return Number(m[1]) * UNITS[m[2]!]!;
}

export interface ContainerStat {
  name: string;
  cpuPct: number;
  memBytes: number;
}

/** Lines of `docker stats --no-stream --format '{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}'`. */
export function parseDockerStats(out: string): ContainerStat[] {
  const rows: ContainerStat[] = [];
  for (const line of out.split('\n')) {
    const [name, cpu, mem] = line.split('\t');
    if (!name || !cpu || !mem) continue;
    const cpuPct = Number(cpu.replace('%', ''));
    const memBytes = parseSize(mem.split('/')[0] ?? '');
    if (!Number.isFinite(cpuPct) || memBytes === null) continue;
    rows.push({ name: name.trim(), cpuPct, memBytes });
  }
  return rows;
}

/** Nearest-rank percentile of unsorted values; null for none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function mean(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}
