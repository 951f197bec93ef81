// The run's clock: the history's time range, its phase windows, and the two instants every comparison
// aligns on (the cut, and the restore that starts the flood). Everything here tolerates a history that
// ends early: a phase without an end runs to the last record and is marked open.
import type { HistoryRecord, PhaseRecord } from '../history/records.ts';

export interface PhaseWindow {
  name: string;
  /** Position in the scenario's phase list (from the record, else order of appearance). */
  index: number;
  /** Unique label for tables: the name, with "#2" when a name repeats. */
  label: string;
  from: number;
  to: number;
  plannedMs?: number;
  /** No end record: the history stopped during this phase. */
  open: boolean;
}

export interface Timeline {
  /** First and last record times (ms since epoch); NaN for an empty history. */
  start: number;
  end: number;
  phases: PhaseWindow[];
  /** Start of the Kafka cut: phase 'cut', else the first kafka fault inject. */
  cutAt?: number;
  /** Start of the flood: phase 'restore', else phase 'flood', else the kafka fault's heal. */
  floodAt?: number;
  /** Origin of relative time in reports and comparisons: the cut, else the first phase, else start. */
  t0: number;
}

export const ts = (r: { ts: string }): number => Date.parse(r.ts);

/** Sort by time then seq without trusting the caller; the reader already does this, tests may not. */
export function sortHistory(records: readonly HistoryRecord[]): HistoryRecord[] {
  return records
    .map((r, i) => ({ r, t: ts(r), i }))
    .filter((e) => Number.isFinite(e.t))
    .sort((a, b) => a.t - b.t || (a.r.seq ?? 0) - (b.r.seq ?? 0) || a.i - b.i)
    .map((e) => e.r);
}

export function buildTimeline(sorted: readonly HistoryRecord[]): Timeline {
  const start = sorted.length ? ts(sorted[0]!) : NaN;
  const end = sorted.length ? ts(sorted[sorted.length - 1]!) : NaN;
  const phases = phaseWindows(sorted.filter((r): r is PhaseRecord => r.type === 'phase'), end);
  const first = (name: string) => phases.find((p) => p.name === name)?.from;
  const kafkaFault = (op: string) =>
    sorted.find((r) => r.type === 'fault' && /^kafka/.test(r.f) && r.op === op && (r.kind === 'invoke' || r.kind === 'ok'));
  const injected = kafkaFault('inject');
  const healed = kafkaFault('heal');
  const cutAt = first('cut') ?? (injected ? ts(injected) : undefined);
  const floodAt = first('restore') ?? first('flood') ?? (healed ? ts(healed) : undefined);
  const t0 = cutAt ?? phases[0]?.from ?? start;
  return { start, end, phases, ...(cutAt !== undefined ? { cutAt } : {}), ...(floodAt !== undefined ? { floodAt } : {}), t0 };
}

function phaseWindows(records: PhaseRecord[], historyEnd: number): PhaseWindow[] {
  const open = new Map<string, { rec: PhaseRecord; from: number; order: number }>();
  const out: PhaseWindow[] = [];
  let order = 0;
  const keyOf = (r: PhaseRecord) => `${r.index ?? ''}:${r.name}`;
  for (const r of records) {
    const key = keyOf(r);
    if (r.edge === 'start') {
      const prev = open.get(key);
      // A second start without an end (controller restarted the phase): close the first where the second began.
      if (prev) out.push(window(prev.rec, prev.from, ts(r), true, prev.order));
      open.set(key, { rec: r, from: ts(r), order: order++ });
    } else {
      const o = open.get(key);
      if (o) {
        out.push(window(o.rec, o.from, ts(r), false, o.order));
        open.delete(key);
      }
      // An end without a start is ignored: nothing can be said about where the phase began.
    }
  }
  const pending = [...open.values()].sort((a, b) => a.from - b.from);
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i]!;
    const laterStarts = [...pending.slice(i + 1).map((q) => q.from), ...out.filter((w) => w.from > p.from).map((w) => w.from)];
    const to = laterStarts.length ? Math.min(...laterStarts) : historyEnd;
    out.push(window(p.rec, p.from, Math.max(p.from, to), true, p.order));
  }
  out.sort((a, b) => a.from - b.from || a.index - b.index);
  const seen = new Map<string, number>();
  for (const w of out) {
    const n = (seen.get(w.name) ?? 0) + 1;
    seen.set(w.name, n);
    w.label = n === 1 ? w.name : `${w.name}#${n}`;
  }
  return out;
}

function window(r: PhaseRecord, from: number, to: number, open: boolean, order: number): PhaseWindow {
  return {
    name: r.name,
    index: r.index ?? order,
    label: r.name,
    from,
    to,
    ...(r.plannedMs !== undefined ? { plannedMs: r.plannedMs } : {}),
    open,
  };
}

/** Phases that last (markers such as cut and restore take no time and hold no samples). */
export function spanPhases(t: Timeline): PhaseWindow[] {
  return t.phases.filter((p) => p.to > p.from);
}

/** The lasting phase holding instant `at`, if any. */
export function phaseAt(t: Timeline, at: number): PhaseWindow | undefined {
  let found: PhaseWindow | undefined;
  for (const p of spanPhases(t)) if (at >= p.from && at < p.to) found = p;
  return found;
}

export function baselineWindow(t: Timeline): PhaseWindow | undefined {
  return t.phases.find((p) => p.name === 'baseline' && p.to > p.from);
}

/**
 * The label of the phase holding the flood: 'flood' when the scenario has one, else the first lasting phase
 * after the restore (short scenarios go straight from restore to observe). The cut and restore markers are
 * never it: on a real run they last the second or so the network change takes, and "Consul p99 in flood"
 * must not be the p99 of that one second.
 */
export function floodPhase(phases: readonly PhaseWindow[], floodAt: number | null | undefined): string | undefined {
  const named = phases.find((p) => p.name === 'flood' && p.to > p.from);
  if (named) return named.label;
  if (floodAt === null || floodAt === undefined) return undefined;
  return phases.find((p) => p.from >= floodAt && p.to > p.from && p.name !== 'restore' && p.name !== 'cut')?.label;
}
